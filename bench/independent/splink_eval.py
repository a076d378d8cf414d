"""Splink 4 (DuckDB) on a labelled set in the bench's --match-set format, scored the bench's way, for comparison.

    pip install splink && python3 bench/independent/splink_eval.py SET.json

Default settings as Splink documents them: name comparisons on forename and surname, a date-of-birth comparison,
blocking on each field, u estimated by random sampling and m by expectation maximisation (no labels used), and a
probe's candidates are the accounts it links to with match probability >= 0.5. Prints precision, recall and F1 (a
probe is right when its true account is among its candidates; wrong when it has candidates and the truth is not one
of them) and top-1 F1 (the best candidate must be the truth), as JSON.
"""
import json
import sys

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def frame(rows, source):
    return pd.DataFrame(
        [
            {
                "unique_id": uid,
                "first_name": (p.get("legalForename") or None),
                "surname": (p.get("legalSurname") or None),
                "dob": (p.get("dateOfBirth") or None),
                "source_dataset": source,
            }
            for uid, p in rows
        ]
    )


def main():
    data = json.load(open(sys.argv[1]))
    accounts = frame([(a["username"], a) for a in data["accounts"]], "accounts")
    probes = frame([(p["id"], p["person"]) for p in data["probes"]], "probes")
    truth = {p["id"]: p.get("truth") for p in data["probes"]}
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
        ],
        blocking_rules_to_generate_predictions=[block_on("dob"), block_on("surname"), block_on("first_name")],
    )
    db = DuckDBAPI()
    frames = [db.register(accounts, dataset_display_name="accounts"), db.register(probes, dataset_display_name="probes")]
    linker = Linker(frames, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    found = {}
    for _, row in pred.iterrows():
        if row["source_dataset_l"] == "probes":
            probe, account = row["unique_id_l"], row["unique_id_r"]
        else:
            probe, account = row["unique_id_r"], row["unique_id_l"]
        found.setdefault(probe, []).append((row["match_probability"], account))
    tp = fp = fn = tp1 = fp1 = fn1 = 0
    for probe, t in truth.items():
        cands = sorted(found.get(probe, []), reverse=True)
        names = [a for _, a in cands]
        hit = t is not None and t in names
        if hit:
            tp += 1
        elif t is not None:
            fn += 1
        if names and not hit and any(a != t for a in names):
            fp += 1
        best = names[0] if names else None
        if best is not None and best == t:
            tp1 += 1
        else:
            if best is not None:
                fp1 += 1
            if t is not None:
                fn1 += 1
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    p1 = tp1 / max(1, tp1 + fp1)
    r1 = tp1 / max(1, tp1 + fn1)
    f = lambda a, b: 2 * a * b / max(1e-9, a + b)
    print(json.dumps({"splink_precision": round(p, 3), "splink_recall": round(r, 3), "splink_f1": round(f(p, r), 3),
                      "splink_top1_f1": round(f(p1, r1), 3), "probes": len(truth)}))


if __name__ == "__main__":
    main()
