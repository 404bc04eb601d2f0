"""Prints the goal rows of one benchmark run as a Markdown table (what README's "Performance"
section shows): `report.py _build/tests/bench/bench-results.json`."""

import json
import sys


def shown(value):
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def main():
    with open(sys.argv[1]) as f:
        results = json.load(f)
    print("| benchmark | measure | goal | measured | baseline | |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, data in results.items():
        for row in data["results"]:
            if "goal" not in row and "baseline" not in row:
                continue
            unit = f" {row['unit']}" if row["unit"] else ""
            goal = f"{row['op']} {shown(row['goal'])}{unit}" if "goal" in row else ""
            verdict = {True: "met", False: "**missed**", None: ""}[row.get("met")]
            print(f"| {name} | {row['name']} | {goal} | {shown(row['value'])}{unit} | "
                  f"{shown(row.get('baseline', ''))} | {verdict} |")
    for name, data in results.items():
        m = data["machine"]
        print(f"\n{name}: {data['time']}, {m['cpus']} CPUs, load average {m['loadavg-start']} "
              f"at start, {m['loadavg-end']} at end")


if __name__ == "__main__":
    main()
