"""The guide's crawler pattern in Python: aiohttp + asyncio.Semaphore.

A straightforward breadth-first crawl of one site, the way the aiohttp
guide writes it: one ClientSession, a Semaphore bounding requests in
flight, robots.txt through urllib.robotparser, links through the standard
library's HTMLParser, a set for deduplication. It prints one JSON line:
pages, errors, seconds, pages per second.

    python aiohttp_crawler.py http://127.0.0.1:8080/web/2000/ --concurrency 16
"""

import argparse
import asyncio
import json
import time
import urllib.robotparser
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) aiohttp-guide-crawler"


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag in ("a", "area"):
            for name, value in attrs:
                if name == "href" and value:
                    self.links.append(value)


async def crawl(start, concurrency):
    host = urlsplit(start).netloc
    semaphore = asyncio.Semaphore(concurrency)
    seen = {start}
    stats = {"pages": 0, "errors": 0, "bytes": 0}
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        robots = urllib.robotparser.RobotFileParser()
        async with session.get(urljoin(start, "/robots.txt")) as response:
            robots.parse((await response.text()).splitlines())

        async def fetch(url):
            async with semaphore:
                try:
                    async with session.get(url) as response:
                        body = await response.read()
                        stats["pages"] += 1
                        stats["bytes"] += len(body)
                        if response.status >= 400:
                            stats["errors"] += 1
                            return []
                        if "text/html" not in response.headers.get("Content-Type", ""):
                            return []
                        parser = LinkParser()
                        parser.feed(body.decode("utf-8", "replace"))
                        return [urljoin(str(response.url), href) for href in parser.links]
                except aiohttp.ClientError:
                    stats["pages"] += 1
                    stats["errors"] += 1
                    return []

        frontier = [start]
        while frontier:
            found = await asyncio.gather(*(fetch(url) for url in frontier))
            frontier = []
            for links in found:
                for link in links:
                    link, _ = urldefrag(link)
                    parts = urlsplit(link)
                    if parts.scheme not in ("http", "https") or parts.netloc != host:
                        continue
                    if link in seen or not robots.can_fetch(USER_AGENT, link):
                        continue
                    seen.add(link)
                    frontier.append(link)
    return stats


async def novel(base, concurrency):
    """The guide's own crawl: the catalog, then every chapter."""
    semaphore = asyncio.Semaphore(concurrency)
    stats = {"pages": 0, "errors": 0, "bytes": 0}
    book = "4306063500"
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        params = {"data": json.dumps({"book_id": book})}
        async with session.get(base + "/api/pc/getCatalog", params=params) as response:
            catalog = await response.json()
            stats["pages"] += 1

        async def chapter(cid):
            data = json.dumps({"book_id": book, "cid": f"{book}|{cid}", "need_bookinfo": 1})
            async with semaphore:
                async with session.get(base + "/api/pc/getChapterContent", params={"data": data}) as response:
                    body = await response.read()
                    stats["pages"] += 1
                    stats["bytes"] += len(body)
                    if response.status >= 400:
                        stats["errors"] += 1

        await asyncio.gather(*(chapter(item["cid"]) for item in catalog["data"]["novel"]["items"]))
    return stats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--novel", action="store_true", help="crawl the novel API at URL instead")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.novel:
        stats = asyncio.run(novel(args.url.rstrip("/"), args.concurrency))
    else:
        stats = asyncio.run(crawl(args.url, args.concurrency))
    seconds = time.perf_counter() - started
    stats["seconds"] = round(seconds, 3)
    stats["pages_per_second"] = round(stats["pages"] / seconds, 1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
