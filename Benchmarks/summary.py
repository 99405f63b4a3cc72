"""Print the summary table of a benchmark run from its results file (tab-separated rows:
figure, measured, reference, ratio, goal, met)."""

import sys


def main():
    rows = []
    with open(sys.argv[1]) as results:
        for line in results:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 6:
                rows.append(parts)
    header = ["figure", "measured", "reference", "ratio", "goal", "met?"]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(6)]
    widths = [min(w, 56) for w in widths]

    def line(cells):
        return "  " + " | ".join(c[:w].ljust(w) for c, w in zip(cells, widths))

    print(line(header))
    print("  " + "-+-".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    verdicts = [r[5] for r in rows if r[5] != "-"]
    print()
    print(f"  goals met: {verdicts.count('yes')} of {len(verdicts)}; not met: {verdicts.count('no')}; "
          f"failed to measure: {verdicts.count('FAILED')}")


if __name__ == "__main__":
    main()
