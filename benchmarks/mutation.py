"""The mutation score of the governance logic: `make mutation` runs mutmut over what
pyproject.toml's [tool.mutmut] names, then this reads its results, prints the score and every
surviving mutant, and writes reports/mutation.json.

A surviving mutant is either a test missing (fails the target) or equivalent: a change no caller
can observe, listed below with why. The target fails below MINIMUM_SCORE or on a survivor not
listed (mutmut numbers mutants per function: a changed function renumbers its own, which are
then reviewed again).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "mutation.json"
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
MINIMUM_SCORE = 0.90  # killed / all mutants (issue 30)

EQUIVALENT = {
    "glue.registry.x_promote__mutmut_66": (
        "a copy left pending is created again instead of reused: CreateModelPackage with the "
        "same ClientToken answers the copy it created, so the same copy is approved"
    ),
    **{
        f"glue.registry.x__copy__mutmut_{n}": (
            "the copy's ClientToken without the source's creation time: it only tells apart a "
            "source deleted and made again under the same ARN, whose earlier copy "
            "`copies_of` finds first anyway"
        )
        for n in (49, 50, 51, 52)
    },
    **{
        f"glue.registry.x_list_versions__mutmut_{n}": (
            "the page size (the tests' way to list over several pages) left out or misnamed: "
            "one page of at most 100 versions instead, the same versions"
        )
        for n in (6, 10, 11, 12)
    },
    "glue.comparison.x_read_report__mutmut_6": (
        "the characters stripped from the report's prefix gain X: the prefixes end in a version "
        "number or a slash, never in X"
    ),
    **{
        f"glue.comparison.x_version_name__mutmut_{n}": (
            "the ARN split at ':model-package/' more than once or from the right: an ARN holds "
            "it once"
        )
        for n in (4, 5, 8)
    },
    "glue.governance.x_require_promotion__mutmut_5": (
        "the separator between the ways models are promoted: there is one way (dev -> prod), "
        "so no separator is ever written"
    ),
    "glue.steps.governance_recorder.x_record__mutmut_45": (
        "no expression values given as None instead of {}: both mean none are sent"
    ),
    "glue.steps.governance_recorder.x_record__mutmut_72": (
        "OR written or: DynamoDB's expression keywords are case-insensitive"
    ),
    "glue.registry.x_rollback__mutmut_27": (
        "`<=` for `<` between the served version and a rejected one: equal only if the asked "
        "version is the served one, which is approved, not rejected"
    ),
}
RESULT = re.compile(r"^\s*(\S+): (.+)$")


def _results() -> dict[str, str]:
    """Each mutant's outcome, as `mutmut results --all true` lists them."""
    listed = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {m.group(1): m.group(2) for m in map(RESULT.match, listed.splitlines()) if m}


def main() -> int:
    results = _results()
    if not results:
        print("mutation: mutmut reported no mutants (run `make mutation`)", file=sys.stderr)
        return 1
    killed = [name for name, outcome in results.items() if outcome == "killed"]
    survivors = {name: outcome for name, outcome in results.items() if outcome != "killed"}
    unexplained = sorted(set(survivors) - set(EQUIVALENT))
    score = len(killed) / len(results)
    report = {
        "mutated": sorted({name.split(".x_")[0] for name in results}),
        "mutants": len(results),
        "killed": len(killed),
        "score": round(score, 3),
        "minimum": MINIMUM_SCORE,
        "equivalent": {n: EQUIVALENT[n] for n in sorted(survivors) if n in EQUIVALENT},
        "not_killed": {n: survivors[n] for n in unexplained},
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"mutation score: {len(killed)} of {len(results)} mutants killed ({score:.1%})")
    for name, why in report["equivalent"].items():
        print(f"  equivalent {name}: {why}")
    for name, outcome in report["not_killed"].items():
        print(f"  NOT KILLED {name}: {outcome} (`.venv/bin/mutmut show {name}`)")
    print(f"written to {REPORT.relative_to(ROOT)}")
    return 0 if score >= MINIMUM_SCORE and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
