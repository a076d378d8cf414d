"""A labelled matching set made without the matcher's code: accounts, probes that are true duplicates carrying the
errors real MIS data has, and probes that are other people (namesakes, twins, strangers). Deterministic (seeded).

    python3 bench/independent/make_set.py OUT.json [--accounts 5000] [--seed 1]

Writes the bench's --match-set format: {laCode, accounts: [...], probes: [{id, person, truth?}], causes: {...}}.
"""
import json
import random
import sys
from datetime import date, timedelta

FORENAMES = """Oliver George Arthur Noah Muhammad Leo Oscar Harry Archie Jack Henry Charlie Freddie Theodore Thomas Finley
Theo Alfie Jacob William Isaac Tommy Lucas Elijah Teddy James Alexander Edward Joshua Mason Isla Olivia Lily Freya Ava
Ivy Florence Willow Isabella Mia Elsie Grace Sophia Evie Amelia Rosie Poppy Emily Sienna Ella Harper Daisy Maya Matilda
Aisha Zara Priya Aarav Ayaan Yusuf Ibrahim Fatima Maryam Zainab Hana Oluwaseun Chidi Adaeze Kofi Ama Wiktoria Jakub Zofia
Mateusz Ionut Andreea Siobhan Niamh Ciaran Aoife Rhys Cerys Dylan Megan Connor Bethany Kieran Chloe Ryan Jessica Liam
Mary Anne Mary-Jane Jean Luc Anna Maria Abdul Rahman Nur Aini""".split()
SURNAMES = """Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson Evans Walker White Roberts Green
Hall Thomas Clarke Jackson Wood Harris Edwards Turner Martin Cooper Hill Ward Hughes Moore Clark King Harrison Lewis
Baker Lee Allen Morris Khan Scott Watson Davis Parker James Bennett Young Phillips Richardson Mitchell Bailey Carter
Cook Singh Shaw Bell Collins Morgan Kelly Begum Miller Cox Hussain Marshall Simpson Price Anderson Adams Wilkinson Ali
Ahmed Foster Ellis Murphy Chapman Mason Gray Richards Webb Griffiths Hunt Palmer Campbell Holmes Mills Rogers Barnes
Knight Matthews Barker Powell Stevens Kaur Fisher Butler Dixon Russell Harvey Pearson Graham Okafor Adeyemi Nowak
Kowalski Popescu O'Brien O'Connor McDonald MacLeod Fitzgerald Ng Chen Wang Nguyen Kaya Yilmaz Rossi Silva""".split()
NICK = {"Thomas": "Tom", "William": "Will", "Alexander": "Alex", "Edward": "Ed", "Joshua": "Josh", "Isabella": "Bella",
        "Jessica": "Jess", "Matilda": "Tilly", "Theodore": "Theo", "Charlie": "Charles", "Freddie": "Fred"}


def rand_dob(r):
    return date(2009, 9, 1) + timedelta(days=r.randrange(0, 365 * 12))


def typo(r, s):
    if len(s) < 3:
        return s
    i = r.randrange(1, len(s) - 1)
    kind = r.randrange(4)
    if kind == 0:
        return s[:i] + s[i + 1:]  # a letter dropped
    if kind == 1:
        return s[:i] + s[i] + s[i:]  # a letter doubled
    if kind == 2:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]  # two letters swapped
    return s[:i] + r.choice("aeioulnrst") + s[i + 1:]  # a letter replaced


def digits_off(r, d, n):
    s = list(d.isoformat())
    positions = [i for i, c in enumerate(s) if c.isdigit() and i not in (0, 1)]
    for i in r.sample(positions, n):
        s[i] = str((int(s[i]) + r.randrange(1, 9)) % 10)
    text = "".join(s)
    try:
        date.fromisoformat(text)
        return text
    except ValueError:
        return d.isoformat()


CAUSES = [
    ("exact", 10), ("forename typo", 10), ("surname typo", 10), ("nickname", 5), ("names swapped", 8),
    ("forename missing", 7), ("forename replaced", 6), ("dob two digits", 5), ("dob three digits", 4),
    ("dob day/month swapped", 5), ("dob missing", 6), ("stray space or hyphen in forename", 6),
    ("double-barrelled surname", 6), ("surname changed", 4), ("initial only", 4), ("case and accents", 4),
]


def main():
    args = sys.argv[1:]
    out = args[0]
    n = int(args[args.index("--accounts") + 1]) if "--accounts" in args else 5000
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    r = random.Random(seed)
    accounts = []
    for i in range(n):
        accounts.append({"username": f"acct{i}", "legalForename": r.choice(FORENAMES), "legalSurname": r.choice(SURNAMES),
                         "dateOfBirth": rand_dob(r).isoformat(), "gender": r.choice("MF")})
    # twins in the account list itself, as a real school has (about 3%)
    for i in range(0, n // 33):
        a = accounts[r.randrange(n)]
        accounts.append({"username": f"twin{i}", "legalForename": r.choice(FORENAMES), "legalSurname": a["legalSurname"],
                         "dateOfBirth": a["dateOfBirth"], "gender": r.choice("MF")})
    causes = {}
    probes = []
    weights = [w for _, w in CAUSES]
    for i, a in enumerate(accounts[:n]):
        cause = r.choices([c for c, _ in CAUSES], weights)[0]
        p = {k: a[k] for k in ("legalForename", "legalSurname", "dateOfBirth", "gender")}
        f, s, d = p["legalForename"], p["legalSurname"], date.fromisoformat(p["dateOfBirth"])
        if cause == "forename typo":
            p["legalForename"] = typo(r, f)
        elif cause == "surname typo":
            p["legalSurname"] = typo(r, s)
        elif cause == "nickname":
            p["legalForename"] = NICK.get(f, f[:3] if len(f) > 4 else f)
        elif cause == "names swapped":
            p["legalForename"], p["legalSurname"] = s.upper(), f
        elif cause == "forename missing":
            p["legalForename"] = ""
        elif cause == "forename replaced":
            p["legalForename"] = r.choice([x for x in FORENAMES if x != f])
        elif cause == "dob two digits":
            p["dateOfBirth"] = digits_off(r, d, 2)
        elif cause == "dob three digits":
            p["dateOfBirth"] = digits_off(r, d, 3)
        elif cause == "dob day/month swapped":
            p["dateOfBirth"] = f"{d.year:04d}-{d.day:02d}-{d.month:02d}" if d.day <= 12 else d.isoformat()
        elif cause == "dob missing":
            p["dateOfBirth"] = None
        elif cause == "stray space or hyphen in forename":
            j = max(1, len(f) // 2)
            p["legalForename"] = f[:j] + r.choice([" ", "-"]) + f[j:].lower()
        elif cause == "double-barrelled surname":
            p["legalSurname"] = f"{s}-{r.choice(SURNAMES)}"
        elif cause == "surname changed":
            p["legalSurname"] = r.choice([x for x in SURNAMES if x != s])
        elif cause == "initial only":
            p["legalForename"] = f[0]
        elif cause == "case and accents":
            p["legalForename"], p["legalSurname"] = f.lower().replace("e", "é", 1), s.upper()
        causes[cause] = causes.get(cause, 0) + 1
        probes.append({"id": f"dup{i}", "person": p, "truth": a["username"], "cause": cause})
    # people with no account: strangers, namesakes born another day, twins of an account holder
    for i in range(n // 2):
        kind = r.choices(["stranger", "namesake", "twin"], [6, 3, 1])[0]
        a = r.choice(accounts[:n])
        if kind == "stranger":
            p = {"legalForename": r.choice(FORENAMES), "legalSurname": r.choice(SURNAMES), "dateOfBirth": rand_dob(r).isoformat()}
        elif kind == "namesake":
            p = {"legalForename": a["legalForename"], "legalSurname": a["legalSurname"], "dateOfBirth": rand_dob(r).isoformat()}
        else:
            p = {"legalForename": r.choice([x for x in FORENAMES if x != a["legalForename"]]), "legalSurname": a["legalSurname"],
                 "dateOfBirth": a["dateOfBirth"]}
        p["gender"] = r.choice("MF")
        causes[f"no account: {kind}"] = causes.get(f"no account: {kind}", 0) + 1
        probes.append({"id": f"new{i}", "person": p, "cause": f"no account: {kind}"})
    # a person with no account whose namesake-by-chance exists is still no account: drop accidental exact duplicates
    keys = {(a["legalForename"], a["legalSurname"], a["dateOfBirth"]) for a in accounts}
    probes = [p for p in probes if "truth" in p or (p["person"]["legalForename"], p["person"]["legalSurname"], p["person"]["dateOfBirth"]) not in keys]
    with open(out, "w") as fh:
        json.dump({"laCode": "801", "accounts": accounts, "probes": probes, "causes": causes}, fh)
    print(json.dumps({"accounts": len(accounts), "probes": len(probes), "causes": causes}))


if __name__ == "__main__":
    main()
