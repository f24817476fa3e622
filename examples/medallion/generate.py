"""Write the medallion demo's raw input: JSON-lines event files, with some malformed lines and
some events delivered twice (as real feeds do).

    python examples/medallion/generate.py <landing dir> [--events 20000] [--files 10]

Every 50th line is malformed; every 20th event is delivered twice (in the next file); every
40th event has a negative amount (silver quarantines it) and every 30th has no user (silver
drops it; an event with both is quarantined). ``expected(events)`` gives the counts each table
ends with, ``expected_expectations(events)`` silver's expectation counts.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

USERS = 100
ACTIONS = ("Click", " view", "BUY ", "click", "View")
START = datetime(2026, 1, 1, tzinfo=UTC)


def event(i: int) -> dict[str, object]:
    amount = -1.0 if negative(i) else round((i % 97) / 4, 2)
    ts = START + timedelta(seconds=i)
    return {
        "event_id": i,
        "user_id": None if userless(i) else f"u{i % USERS:03d}",
        "action": ACTIONS[i % len(ACTIONS)],
        "amount": amount,
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def lines_per_file(events: int, files: int) -> list[list[str]]:
    chunks: list[list[str]] = [[] for _ in range(files)]
    for i in range(events):
        slot = i * files // events
        chunks[slot].append(json.dumps(event(i)))
        if i % 20 == 19:  # a repeat, one file later
            chunks[min(slot + 1, files - 1)].append(json.dumps(event(i)))
        if (i + 1) % 50 == 0:
            chunks[slot].append('{"event_id": ' + str(i) + ', "user_id": "u0')  # cut off mid-record
    return chunks


def negative(i: int) -> bool:
    return i % 40 == 39


def userless(i: int) -> bool:
    return i % 30 == 29


def expected_expectations(events: int) -> dict[str, int]:
    """Silver's counts: events checked once each (repeats are dropped before), their fates."""
    quarantined = sum(1 for i in range(events) if negative(i))
    dropped = sum(1 for i in range(events) if userless(i) and not negative(i))
    return {
        "rows": events,
        "kept": events - quarantined - dropped,
        "dropped": dropped,
        "quarantined": quarantined,
        "has_user_failed": sum(1 for i in range(events) if userless(i)),
        "non_negative_amount_failed": quarantined,
    }


def expected(events: int) -> dict[str, int]:
    """Rows per table after a full run over ``events`` events."""
    repeats = sum(1 for i in range(events) if i % 20 == 19)
    silver = expected_expectations(events)
    return {
        "bronze": events + repeats,
        "bronze_dead_letters": events // 50,
        "silver": silver["kept"],
        "silver_quarantine": silver["quarantined"],
        "latest_per_user": len({event(i)["user_id"] for i in range(events)} - {None}),
        "gold": len({a.strip().lower() for a in ACTIONS}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    args.landing.mkdir(parents=True, exist_ok=True)
    for n, lines in enumerate(lines_per_file(args.events, args.files)):
        temp = args.landing / f".events-{n:03d}.json.tmp"
        temp.write_text("\n".join(lines) + "\n")
        os.replace(temp, args.landing / f"events-{n:03d}.json")  # a file appears whole
    print(f"wrote {args.events:,} events in {args.files} files to {args.landing}")


if __name__ == "__main__":
    main()
