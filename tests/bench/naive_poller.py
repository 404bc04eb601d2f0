"""The baseline: what N panels do without spotnowd. Each client asks the Web API itself, once
per interval, whether anyone looks or not; clients start spread evenly over one interval, as
panels started at random moments would.

    naive_poller.py poll URL CLIENTS INTERVAL_S DURATION_S
        prints {"requests": n, "seen": [[client, monotonic_time, track_name], ...]}
    naive_poller.py burst URL CLIENTS
        every client asks once, all at the same moment; prints {"requests": n}
    naive_poller.py day URL INTERVAL_S START END
        one client asking every INTERVAL_S from monotonic time START until END, whatever the
        answer (a panel does not read Retry-After); prints {"requests": n, "seen": [[sent,
        received, status, track_name, is_playing], ...]}

Times are time.monotonic() (CLOCK_MONOTONIC), comparable with the driver's.
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request

TOKEN = "fake-access-0"
PATH = "/v1/me/player/currently-playing"


def fetch(url):
    req = urllib.request.Request(url + PATH, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as reply:
        body = reply.read()
    if not body:
        return None
    item = json.loads(body).get("item") or {}
    return item.get("name")


def fetch_state(url):
    """(HTTP status, track name or None, is_playing) of one currently-playing request."""
    req = urllib.request.Request(url + PATH, headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            status, body = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, None, False
    if not body:
        return status, None, False
    state = json.loads(body)
    return status, (state.get("item") or {}).get("name"), bool(state.get("is_playing"))


def day(url, interval, start, end):
    seen = []
    next_at = start
    while next_at < end:
        time.sleep(max(0.0, next_at - time.monotonic()))
        sent = time.monotonic()
        status, name, playing = fetch_state(url)
        seen.append([sent, time.monotonic(), status, name, playing])
        next_at += interval
    return {"requests": len(seen), "seen": seen}


def poll(url, clients, interval, duration):
    start = time.monotonic()
    end = start + duration
    seen = []
    counts = [0] * clients
    lock = threading.Lock()

    def client(index):
        next_at = start + interval * index / clients
        while next_at < end:
            time.sleep(max(0.0, next_at - time.monotonic()))
            name = fetch(url)
            with lock:
                counts[index] += 1
                seen.append([index, time.monotonic(), name])
            next_at += interval

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"requests": sum(counts), "seen": seen}


def burst(url, clients):
    barrier = threading.Barrier(clients + 1)
    replies = []
    lock = threading.Lock()

    def client():
        barrier.wait()
        fetch(url)
        with lock:
            replies.append(1)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    return {"requests": len(replies)}


def main():
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "poll":
        result = poll(url, int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    elif mode == "day":
        result = day(url, float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    else:
        result = burst(url, int(sys.argv[3]))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
