"""Small, deterministic input files for the Glue script corpus (tens of rows).

Every file is generated from a fixed seed, so a failing test can be replayed;
expectations are computed from these local files with DuckDB, never through
Spark or ``awsglue``.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import duckdb

REGIONS = ("EU", "US", "APAC")
STATUSES = ("shipped", "shipped", "shipped", "pending", "cancelled")
SEGMENTS = ("retail", "wholesale", "online")
CITIES = (("Lyon", "FR"), ("Austin", "US"), ("Osaka", "JP"), ("Porto", "PT"), ("Leeds", "GB"))
ORDER_COLUMNS = ["order_id", "customer_id", "region", "order_date", "amount", "status"]
#: Customer ids 1..CUSTOMERS exist; orders also name two that do not (an inner join drops them).
CUSTOMERS = 8


def _amount(rng: random.Random) -> float:
    return round(rng.uniform(5, 240), 2)


def order_rows(count: int = 40, seed: int = 11) -> list[dict]:
    """Orders over five days: id, customer, region, ISO date, amount with cents, status."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        rows.append(
            {
                "order_id": 1000 + n,
                "customer_id": rng.randint(1, CUSTOMERS + 2),
                "region": REGIONS[n % 3],
                "order_date": f"2024-01-0{1 + rng.randint(0, 4)}",
                "amount": _amount(rng),
                "status": rng.choice(STATUSES),
            }
        )
    return rows


def write_orders_csv(path: Path, rows: list[dict] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=ORDER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows or order_rows():
            writer.writerow({**row, "amount": f"{row['amount']:.2f}"})
    return path


def write_customers_csv(path: Path) -> Path:
    """Customers 1..CUSTOMERS; names hold commas, so they are quoted."""
    rng = random.Random(5)
    first = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(["cust_id", "name", "segment", "country"])
        for n in range(1, CUSTOMERS + 1):
            writer.writerow([n, f"{first[n - 1]}, {chr(64 + n)}.", rng.choice(SEGMENTS), CITIES[n % 5][1]])
    return path


def write_fx_rates_csv(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("region,usd_rate\nEU,1.10\nUS,1.00\nAPAC,0.0068\n")
    return path


def nested_orders(count: int = 24, seed: int = 23, messy_amounts: bool = False) -> list[dict]:
    """Orders as a web shop emits them: a customer struct with an address, an
    items array of structs, a tags array. With ``messy_amounts`` some amounts
    arrive as strings, one is not a number at all (a choice type in Glue)."""
    rng = random.Random(seed)
    records = []
    for n in range(count):
        city, country = CITIES[n % 5]
        items = [
            {"sku": f"SKU-{rng.randint(1, 30):03d}", "qty": rng.randint(1, 4), "price": round(rng.uniform(2, 80), 2)}
            for _ in range(rng.randint(1, 3))
        ]
        amount: object = round(sum(i["qty"] * i["price"] for i in items), 2)
        if messy_amounts and n % 5 == 2:
            amount = f"{amount:.2f}"
        if messy_amounts and n == 7:
            amount = "n/a"
        records.append(
            {
                "order_id": 5000 + n,
                "customer": {"id": 1 + n % CUSTOMERS, "name": f"customer {1 + n % CUSTOMERS}", "address": {"city": city, "country": country}},
                "items": items,
                "tags": rng.sample(["gift", "express", "promo", "fragile"], rng.randint(1, 2)),
                "amount": amount,
                "status": STATUSES[n % 5],
                "channel": "web" if n % 2 else "app",
            }
        )
    return records


def write_json_lines(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def sensor_events(count: int = 30, seed: int = 3) -> list[dict]:
    """Events whose ``payload`` is a JSON document held in a string column."""
    rng = random.Random(seed)
    events = []
    for n in range(count):
        payload = {
            "device": f"dev-{1 + n % 4}",
            "reading": {"temp_c": round(rng.uniform(15, 30), 1) + 0.05, "humidity": rng.randint(30, 70)},
            "ok": n % 6 != 0,
        }
        events.append({"event_id": n + 1, "received_at": f"2024-02-0{1 + n % 3}T10:{n:02d}:00Z", "payload": json.dumps(payload)})
    return events


def landed_events(batch: str, count: int, start: int) -> list[dict]:
    """One landing file of clickstream events: ids start..start+count-1, tagged with their batch."""
    return [{"event_id": start + i, "user": f"u{(start + i) % 7}", "action": ("view", "click", "buy")[(start + i) % 3], "batch": batch} for i in range(count)]


def partitioned_readings(root: Path) -> dict[str, Path]:
    """Device readings as JSON lines in Hive-style ``dt=`` folders, three days."""
    rng = random.Random(17)
    files = {}
    for day in ("2024-03-01", "2024-03-02", "2024-03-03"):
        records = [{"device": f"dev-{d}", "reading_id": i, "value": rng.randint(0, 500)} for d in range(1, 4) for i in range(4)]
        files[day] = write_json_lines(root / f"dt={day}" / "readings.json", records)
    return files


def write_parquet(path: Path, select_sql: str) -> Path:
    """Any DuckDB query written as one Parquet file (no pyarrow needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(f"COPY ({select_sql}) TO '{path}' (FORMAT parquet)")
    return path


def write_payments_csv(path: Path) -> Path:
    """Provider payments as a hospital export has them: a provider id that is
    numeric except for two legacy ids (a long/string choice in Glue), and
    charges formatted as money text ("$1,234.50")."""
    rng = random.Random(29)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["provider_id", "provider_name", "state", "discharges", "avg_charges"])
        for n in range(20):
            provider_id = {4: "P-77", 13: "X9"}.get(n, str(10001 + n))
            writer.writerow([provider_id, f"Clinic {n}", ("TX", "CA", "NY")[n % 3], rng.randint(11, 400), f"${rng.uniform(900, 90000):,.2f}"])
    return path


def membership_sources(root: Path) -> dict[str, Path]:
    """A small volunteer registry in three sources: people (JSON, with a contacts
    array), organisations (JSON, with an address struct), memberships (CSV)."""
    rng = random.Random(13)
    people = [
        {
            "id": f"p{n}",
            "name": f"Person {n}",
            "contacts": [{"type": kind, "value": f"{kind}-{n}"} for kind in rng.sample(["email", "phone", "twitter"], rng.randint(1, 3))],
        }
        for n in range(1, 9)
    ]
    orgs = [{"org_id": f"o{n}", "org_name": f"Club {n}", "address": {"city": CITIES[n][0], "country": CITIES[n][1]}} for n in range(1, 4)]
    files = {"people": write_json_lines(root / "people" / "people.json", people), "orgs": write_json_lines(root / "orgs" / "orgs.json", orgs)}
    memberships = root / "memberships" / "memberships.csv"
    memberships.parent.mkdir(parents=True, exist_ok=True)
    with memberships.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["person_id", "org_ref", "start_date"])
        for n in range(1, 12):
            writer.writerow([f"p{rng.randint(1, 9)}", f"o{rng.randint(1, 3)}", f"2023-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"])
    files["memberships"] = memberships
    return files
