"""Deterministic sample data for the sales, marketing and join pipeline.

Two CSV files with the schemas of the public QuickSight samples the pipeline
was written for (the same header lines, dates as M/D/YYYY), generated from a
seed so the product never needs third-party data:

* **sales**: one row per status entry of a sales opportunity. Each
  opportunity starts as a ``Lead`` and may move on through ``Prospect``,
  ``Qualified`` and ``Contracting`` to ``Closed Won`` or (mostly)
  ``Closed Lost``, as in the reference data. Volume grows about 1.85x a year;
  seven fictional salespeople in three regions (US, EMEA, APAC); segments
  SMB, Enterprise and Startup with their revenue ranges; weighted revenue is
  the forecast times the stage's probability (10%, 20%, 50%, 80%, 100%);
  closed entries have Target Close = Date and Closed Lost ones no revenue.
* **marketing**: one row a day: visitors by channel (growing traffic, a
  weekly rhythm, campaigns in the ``Events`` column that lift their
  channel), cumulative Twitter followers and mailing list, page views,
  visits, device split, sign-ups and paid conversions. Unique visits are the
  sum of the four visitor channels and the device columns add up to them.

With the default dates (sales 2011-2016, marketing from 2013) the two
overlap, so the join has rows; sales rows are written in date order.

Both writers stream: rows go out a day at a time and memory stays bounded
by the opportunities still open (about 100 days of them), not by ``rows``.
Plain Python, no dependencies: about a million sales rows in a few seconds.
The same arguments always give the same bytes (``random.Random`` seeded
with a string).
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import random
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Union

SALES_HEADER = [
    "Date", "Salesperson", "Lead Name", "Segment", "Region", "Target Close", "Forecasted Monthly Revenue",
    "Opportunity Stage", "Weighted Revenue", "Closed Opportunity", "Active Opportunity", "Latest Status Entry",
]
MARKETING_HEADER = [
    "Date", "New visitors SEO", "New visitors CPC", "New visitors Social Media", "Return visitors",
    "Twitter mentions", "Twitter follower adds", "Twitter followers cumulative", "Mailing list adds ",
    "Mailing list cumulative", "Website Pageviews", "Website Visits", "Website Unique Visits", "Mobile uniques",
    "Tablet uniques", "Desktop uniques", "Free sign up", "Paid conversion", "Events",
]

SALES_START = datetime.date(2011, 1, 1)
SALES_DAYS = 2192  # 2011-01-01 .. 2016-12-31
MARKETING_START = datetime.date(2013, 1, 1)
MARKETING_DAYS = 1461  # 2013-01-01 .. 2016-12-31

PathOrStream = Union[str, Path, IO[str], IO[bytes]]

# --- the sales model ------------------------------------------------------------

#: Fictional salespeople: (name, region, share of the opportunities).
SALESPEOPLE = [
    ("Maria Castell", "US", 0.168), ("Tom Okafor", "US", 0.149), ("Linda Brandt", "US", 0.148),
    ("Sam Whitfield", "US", 0.145), ("Piotr Lindqvist", "EMEA", 0.139), ("Elena Moreau", "EMEA", 0.121),
    ("Kenji Arakawa", "APAC", 0.130),
]
#: Segment shares within each region.
SEGMENTS = {
    "US": [("SMB", 0.54), ("Enterprise", 0.27), ("Startup", 0.19)],
    "EMEA": [("SMB", 0.53), ("Enterprise", 0.37), ("Startup", 0.10)],
    "APAC": [("Enterprise", 0.64), ("SMB", 0.22), ("Startup", 0.14)],
}
#: Forecasted monthly revenue of a new lead: (mean, standard deviation, low, high).
REVENUE = {
    "SMB": (112_000, 26_000, 40_000, 190_000),
    "Enterprise": (450_000, 95_000, 150_000, 780_000),
    "Startup": (605_000, 135_000, 200_000, 995_000),
}
#: Stage -> win probability used for Weighted Revenue.
PROBABILITY = {"Lead": 0.1, "Prospect": 0.2, "Qualified": 0.5, "Contracting": 0.8, "Closed Won": 1.0, "Closed Lost": 0.0}
OPEN_STAGES = ("Lead", "Prospect", "Qualified", "Contracting")
#: Open stage -> [(next stage or None for "goes quiet", probability)].
TRANSITIONS = {
    "Lead": [("Closed Lost", 0.76), ("Prospect", 0.19), ("Qualified", 0.02), ("Contracting", 0.01), (None, 0.02)],
    "Prospect": [("Closed Lost", 0.55), ("Qualified", 0.23), ("Contracting", 0.12), ("Closed Won", 0.07), (None, 0.03)],
    "Qualified": [("Contracting", 0.55), ("Closed Won", 0.22), ("Closed Lost", 0.20), (None, 0.03)],
    "Contracting": [("Closed Won", 0.70), ("Closed Lost", 0.28), (None, 0.02)],
}
#: Days until the next status entry, from each open stage: (shortest, longest).
NEXT_ENTRY_DAYS = {"Lead": (3, 80), "Prospect": (5, 60), "Qualified": (3, 40), "Contracting": (2, 25)}
GROWTH_PER_YEAR = 1.85
TABLE = 4096  # size of the precomputed lookup tables (one random() picks an entry)


def _mdy(day: datetime.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _table(rng: random.Random, pairs: list) -> list:
    """TABLE entries in proportion to the weights, so ``table[int(random() * TABLE)]`` draws one."""
    total = sum(weight for _, weight in pairs)
    table: list = []
    for index, (value, weight) in enumerate(pairs):
        count = TABLE - len(table) if index == len(pairs) - 1 else round(TABLE * weight / total)
        table.extend([value] * count)
    return table[:TABLE]


@contextmanager
def _text_out(path_or_stream: PathOrStream) -> Iterator[IO[str]]:
    """A text stream for the CSV: a file we open (and close), or the caller's stream."""
    if isinstance(path_or_stream, (str, Path)):
        with open(path_or_stream, "w", newline="", encoding="utf-8") as fh:
            yield fh
    elif isinstance(path_or_stream, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(path_or_stream, "mode", ""):
        text = io.TextIOWrapper(path_or_stream, encoding="utf-8", newline="")  # type: ignore[arg-type]
        try:
            yield text
        finally:
            text.flush()
            text.detach()  # leave the caller's stream open
    else:
        yield path_or_stream  # type: ignore[misc]


def _day_quotas(rng: random.Random, rows: int, days: int) -> list[int]:
    """Cumulative row targets per day: steady growth, a weekly rhythm, day-to-day noise."""
    growth = math.log(GROWTH_PER_YEAR) / 365.0
    weekday = [1.1, 1.15, 1.1, 1.05, 1.0, 0.8, 0.8]
    weights = [math.exp(growth * day) * weekday[day % 7] * (0.6 + 0.8 * rng.random()) for day in range(days)]
    total = sum(weights)
    quotas, running = [], 0.0
    for weight in weights:
        running += weight
        quotas.append(round(rows * running / total))
    quotas[-1] = rows
    return quotas


def generate_sales(
    path_or_stream: PathOrStream,
    rows: int,
    *,
    seed: int = 1,
    start_date: datetime.date = SALES_START,
    days: int = SALES_DAYS,
) -> int:
    """Write ``rows`` sales pipeline rows (plus the header) dated ``start_date`` and the ``days - 1`` days after.

    ``path_or_stream`` is a file path, or an open text or binary stream (left
    open). Returns the number of data rows written (always ``rows``).
    """
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    rng = random.Random(f"sales/{seed}")
    rand = rng.random
    horizon = days + 400  # target close dates reach past the last entry
    dates = [_mdy(start_date + datetime.timedelta(days=i)) for i in range(horizon)]
    quotas = _day_quotas(rng, rows, days)
    people = _table(rng, [((name, region), share) for name, region, share in SALESPEOPLE])
    segments = {region: _table(rng, shares) for region, shares in SEGMENTS.items()}
    transitions = {stage: _table(rng, choices) for stage, choices in TRANSITIONS.items()}
    # Lognormal day counts (median ~45 days to the target close), drawn once.
    close_in = [min(365, max(7, int(rng.lognormvariate(math.log(45), 0.8)))) for _ in range(TABLE)]
    revenue = {
        segment: [int(min(high, max(low, rng.gauss(mean, sd)))) for _ in range(TABLE)]
        for segment, (mean, sd, low, high) in REVENUE.items()
    }
    lead_numbers: dict[tuple[str, str], int] = {}
    #: pending[day]: follow-up entries due that day, as (opportunity, stage, previous forecast)
    pending: list[list] = [[] for _ in range(days)]
    open_count = 0  # follow-ups scheduled but not yet written
    written = 0

    def entry(day: int, opportunity: tuple, target: str, forecast: int, stage: str) -> list:
        """One row; schedules the opportunity's next entry if it fits before the end and in ``rows``."""
        nonlocal written, open_count
        written += 1
        closed = stage in ("Closed Won", "Closed Lost")
        latest, active = True, False
        if not closed:
            follow_up = transitions[stage][int(rand() * TABLE)]
            if follow_up is not None:  # None: the opportunity goes quiet
                low, high = NEXT_ENTRY_DAYS[stage]
                when = day + low + int(rand() * (high - low + 1))
                if when < days and written + open_count < rows:
                    pending[when].append((opportunity, follow_up, forecast))
                    open_count += 1
                    latest = False
                else:
                    active = True  # still being worked on when the data ends
        person, lead_name, segment, region = opportunity
        return [
            dates[day], person, lead_name, segment, region, target, forecast, stage,
            round(forecast * PROBABILITY[stage]), "TRUE" if closed else "FALSE",
            "TRUE" if active else "FALSE", "TRUE" if latest else "FALSE",
        ]

    with _text_out(path_or_stream) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SALES_HEADER)
        for day in range(days):
            due, pending[day] = pending[day], []
            open_count -= len(due)
            batch = []
            for opportunity, stage, previous in due:
                if stage == "Closed Lost":
                    forecast, target = 0, dates[day]
                elif stage == "Closed Won":
                    forecast, target = previous, dates[day]
                else:  # forecasts shrink a little as a deal firms up
                    forecast = int(previous * (0.88 + 0.09 * rand()))
                    target = dates[day + 2 + close_in[int(rand() * TABLE)] // 2]
                batch.append(entry(day, opportunity, target, forecast, stage))
            while written < quotas[day] and written + open_count < rows:
                person, region = people[int(rand() * TABLE)]
                segment = segments[region][int(rand() * TABLE)]
                number = lead_numbers.get((region, segment), 0) + 1
                lead_numbers[(region, segment)] = number
                opportunity = (person, f"{region}_{segment}_{number}", segment, region)
                forecast = revenue[segment][int(rand() * TABLE)]
                target = dates[day + close_in[int(rand() * TABLE)]]
                batch.append(entry(day, opportunity, target, forecast, "Lead"))
            writer.writerows(batch)
    return written


# --- the marketing model ------------------------------------------------------------

#: Campaigns for the Events column: (name pattern, channel it lifts, lift, (shortest, longest) days).
CAMPAIGNS = [
    ("{year} CPC campaign", "cpc", 1.6, (60, 180)),
    ("SEO optimization v{n}", "seo", 1.25, (45, 120)),
    ("Email outreach campaign", "return", 1.3, (30, 120)),
    ("Website relaunch promo", "seo", 1.15, (30, 90)),
    ("Mobile app promo", "social", 1.5, (14, 45)),
    ("Press coverage", "social", 1.4, (5, 12)),
]


def _campaign_days(rng: random.Random, start_date: datetime.date, days: int) -> list[tuple[str, str, float] | None]:
    """Per day: the running campaign (name, lifted channel, lift) or None; about half the days have one."""
    schedule: list[tuple[str, str, float] | None] = [None] * days
    day, versions = int(rng.uniform(60, 180)), 0
    while day < days:
        pattern, channel, lift, (shortest, longest) = CAMPAIGNS[int(rng.random() * len(CAMPAIGNS))]
        if "{n}" in pattern:
            versions += 1
        name = pattern.format(year=(start_date + datetime.timedelta(days=day)).year, n=versions)
        length = int(rng.uniform(shortest, longest))
        for d in range(day, min(days, day + length)):
            schedule[d] = (name, channel, lift)
        day += length + int(rng.uniform(0, 150))
    return schedule


def generate_marketing(
    path_or_stream: PathOrStream,
    days: int = MARKETING_DAYS,
    *,
    seed: int = 1,
    start_date: datetime.date = MARKETING_START,
) -> int:
    """Write one marketing row per day (plus the header) for ``days`` days from ``start_date``.

    ``path_or_stream`` is a file path, or an open text or binary stream (left
    open). Returns the number of data rows written (``days``).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    rng = random.Random(f"marketing/{seed}")
    rand, gauss = rng.random, rng.gauss
    campaigns = _campaign_days(rng, start_date, days)
    weekday = [1.0, 0.95, 1.0, 1.0, 1.05, 1.2, 1.1]  # Monday first
    followers, subscribers = 150 + int(rand() * 100), 1500 + int(rand() * 600)
    with _text_out(path_or_stream) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(MARKETING_HEADER)
        for i in range(days):
            date = start_date + datetime.timedelta(days=i)
            years = i / 365.0
            running = campaigns[i]
            lift = {running[1]: running[2]} if running else {}
            base = 2500 * math.exp(0.75 * min(years, 6.0)) * weekday[date.weekday()] * math.exp(gauss(0, 0.2))
            seo = int(base * lift.get("seo", 1.0))
            cpc = int(base * (0.17 + 0.05 * rand()) * lift.get("cpc", 1.0))
            social = int(base * min(0.3, 0.025 + 0.06 * years) * (0.8 + 0.4 * rand()) * lift.get("social", 1.0))
            returning = int(base * min(0.8, 0.1 + 0.12 * years) * (0.85 + 0.3 * rand()) * lift.get("return", 1.0))
            unique = seo + cpc + social + returning
            visits = int(unique * max(1.0, 3.5 - 0.45 * years + gauss(0, 0.1)))
            pageviews = int(visits * (2.5 + 1.2 * years) * (0.9 + 0.2 * rand()))
            mobile = int(unique * min(0.35, 0.1 + 0.035 * years) * (0.9 + 0.2 * rand()))
            tablet = int(unique * max(0.1, 0.2 - 0.013 * years) * (0.9 + 0.2 * rand()))
            desktop = unique - mobile - tablet
            signups = int(unique * min(0.9, 0.35 + 0.1 * years) * (0.6 + 0.8 * rand()))
            paid = int(signups * min(0.2, 0.06 + 0.03 * years) * (0.7 + 0.6 * rand()))
            mentions = min(10, int(-math.log(1.0 - rand()) * (1.0 + 0.6 * years)))
            follower_adds = min(15, int(rand() * (3 + 2.5 * years)))
            if rand() < 0.1:  # some days lose a follower or two
                follower_adds -= 1 + int(rand() * 2)
            followers = max(0, followers + follower_adds)
            list_adds = min(25, int(rand() * (3 + 4 * years)))
            subscribers += list_adds
            writer.writerow([
                _mdy(date), seo, cpc, social, returning, mentions, follower_adds, followers, list_adds,
                subscribers, pageviews, visits, unique, mobile, tablet, desktop, signups, paid,
                running[0] if running else "",
            ])
    return days


@dataclass(frozen=True)
class SampleFiles:
    sales: Path
    marketing: Path
    sales_rows: int
    marketing_rows: int


def write_sample_files(
    directory: str | Path,
    *,
    rows: int,
    seed: int = 1,
    marketing_days: int = MARKETING_DAYS,
) -> SampleFiles:
    """``sales.csv`` (``rows`` rows) and ``marketing.csv`` in ``directory``, with the default, overlapping dates."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sales, marketing = directory / "sales.csv", directory / "marketing.csv"
    return SampleFiles(
        sales=sales,
        marketing=marketing,
        sales_rows=generate_sales(sales, rows, seed=seed),
        marketing_rows=generate_marketing(marketing, marketing_days, seed=seed),
    )
