# Shared helpers for the scripts in this folder (sourced, not run).

# Prints a visible step header with the time since the script started.
step() {
    printf '\n\033[1m==> [%4ss] %s\033[0m\n' "$SECONDS" "$*"
}
