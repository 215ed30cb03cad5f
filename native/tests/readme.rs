//! The README's CLI quick start, run line by line as a user would (in bash,
//! with `unifetch` on the PATH) against the test site, so that it cannot
//! drift from what the CLI does.

use std::path::Path;
use std::process::Command;

use unifetch_native::TestServer;

/// The commands of the README's "CLI quick start" block, continuation
/// lines joined, each with the exit code its comment states (0 otherwise).
fn quick_start_commands(readme: &str) -> Vec<(String, i32)> {
    let section = readme
        .split("## CLI quick start")
        .nth(1)
        .expect("the README has a CLI quick start");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the CLI quick start has a sh block");
    let joined = block.replace("\\\n", " ");
    joined
        .lines()
        .filter(|line| line.starts_with("unifetch ") && !line.starts_with("unifetch serve"))
        .map(|line| {
            let (command, comment) = line.split_once("  #").unwrap_or((line, ""));
            let expected = comment
                .split("exit code ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|code| code.parse().ok())
                .unwrap_or(0);
            (command.trim().to_owned(), expected)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_cli_quick_start_runs_as_written() {
    let site = TestServer::site().await.unwrap();
    let port = site
        .url("/")
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let commands = quick_start_commands(&readme);
    assert!(commands.len() >= 8, "found only {commands:?}");

    let binary = Path::new(env!("CARGO_BIN_EXE_unifetch"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = std::env::temp_dir().join(format!("unifetch-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (command, expected) in commands {
        let command = command
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
            .replace(":8080", &format!(":{port}"));
        let (dir, path, shown) = (dir.clone(), path.clone(), command.clone());
        let output = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .args(["-c", &command])
                .current_dir(dir)
                .env("PATH", path)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(
            output.status.code(),
            Some(expected),
            "`{shown}`\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let pages = std::fs::read_to_string(dir.join("pages.jsonl")).unwrap();
    assert!(pages.lines().count() > 100, "the crawl wrote its records");
    let jar = std::fs::read_to_string(dir.join("jar.json")).unwrap();
    assert!(jar.contains("a=1"), "the cookie was saved: {jar}");
    std::fs::remove_dir_all(&dir).unwrap();
}
