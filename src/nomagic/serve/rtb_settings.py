"""``[bidding]`` of ``.nomagic/config.toml``, checked, and the ledger that keeps a campaign's spend across
restarts."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from nomagic.errors import InputError
from nomagic.serve.rtb_mapping import DEFAULT_MAPPING, DEFAULT_VALUES, compile_source
from nomagic.words import say


@dataclass
class Settings:
    """``[bidding]`` of ``.nomagic/config.toml`` (see docs/rtb.md)."""

    path: Path
    budget: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    traffic_shape: list[float] | None = None
    notice_timeout_s: float = 600.0
    tmax_margin_ms: float = 20.0
    rtb_cache: int = 100_000
    notice_url: str | None = None
    adomain: list[str] | None = None
    crid: str | None = None
    seat: str | None = None
    adm: str | None = None
    rates: dict[str, float] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MAPPING))
    values: dict[str, dict] = field(default_factory=lambda: dict(DEFAULT_VALUES))


def _bad(path: Path, key: str, want_en: str, want_de: str, got) -> InputError:
    return InputError(
        say(
            "{path}: [bidding] {key} must be {w}; got {got!r}",
            "{path}: [bidding] {key} muss {wd} sein; erhalten: {got!r}",
            path=str(path),
            key=key,
            w=want_en,
            wd=want_de,
            got=got,
        )
    )


def _when(doc: dict, key: str, path: Path) -> datetime | None:
    v = doc.get(key)
    if v is None:
        return None
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _bad(path, key, 'a date-time, e.g. "2026-12-01T00:00"', 'ein Zeitpunkt, z. B. "2026-12-01T00:00"', v)


def read_settings(path: Path) -> Settings:
    """The bidding settings in ``path`` (defaults without a file); an InputError naming the file and key."""
    from nomagic.privacy.config import read

    doc = read(path).get("bidding", {})
    s = Settings(Path(path))
    if not isinstance(doc, dict):
        raise _bad(path, "", "a table", "eine Tabelle", doc)
    budget = doc.get("budget")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not math.isfinite(budget) or budget < 0:
            raise _bad(path, "budget", "a number of at least 0", "eine Zahl von mindestens 0", budget)
        s.budget = float(budget)
        s.start, s.end = _when(doc, "start", path), _when(doc, "end", path)
        for key in ("start", "end"):
            if getattr(s, key) is None:
                raise _bad(path, key, "set with the budget (the campaign's window)", "mit dem Budget gesetzt", None)
        if (s.start.tzinfo is None) != (s.end.tzinfo is None) or not s.end > s.start:
            raise _bad(path, "end", "after start (both with or both without a time zone)", "nach start", doc["end"])
    shape = doc.get("traffic_shape")
    if shape is not None:
        ok = isinstance(shape, list) and len(shape) == 24
        if not ok or not all(isinstance(w, int | float) and not isinstance(w, bool) and w >= 0 for w in shape):
            raise _bad(path, "traffic_shape", "24 weights of at least 0", "24 Gewichte von mindestens 0", shape)
        s.traffic_shape = [float(w) for w in shape]
    for key in ("notice_timeout_s", "tmax_margin_ms", "rtb_cache"):
        if key in doc:
            v = doc[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not (0 <= v < 1e7):
                raise _bad(path, key, "a number of at least 0", "eine Zahl von mindestens 0", v)
            setattr(s, key, int(v) if key == "rtb_cache" else float(v))
    for key in ("notice_url", "crid", "seat", "adm"):
        if key in doc:
            if not isinstance(doc[key], str) or not doc[key]:
                raise _bad(path, key, "a text", "ein Text", doc[key])
            setattr(s, key, doc[key])
    if s.notice_url is not None and not re.match(r"^https?://[^\s?#]+$", s.notice_url):
        raise _bad(
            path,
            "notice_url",
            'the server\'s public URL, e.g. "https://bid.example.com"',
            "eine URL",
            doc["notice_url"],
        )
    if "adomain" in doc:
        v = doc["adomain"]
        if not isinstance(v, list) or not all(isinstance(d, str) and d for d in v):
            raise _bad(path, "adomain", 'a list of domains, e.g. ["shop.example"]', "eine Liste von Domains", v)
        s.adomain = list(v)
    rates = doc.get("rtb_rates", {})
    if not isinstance(rates, dict):
        raise _bad(path, "rtb_rates", "a table, e.g. USD = 1.08", "eine Tabelle", rates)
    for cur, rate in rates.items():
        if not re.match(r"^[A-Za-z]{3}$", cur) or isinstance(rate, bool) or not isinstance(rate, int | float):
            raise _bad(path, f"rtb_rates.{cur}", "a number per ISO currency", "eine Zahl je ISO-Währung", rate)
        if not (math.isfinite(rate) and rate > 0):
            raise _bad(path, f"rtb_rates.{cur}", "above 0", "größer als 0", rate)
        s.rates[cur.upper()] = float(rate)
    mapping = doc.get("rtb_mapping", {})
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise _bad(path, "rtb_mapping", 'field paths, e.g. user_segment = "user.ext.segment"', "Feldpfade", mapping)
    s.mapping.update(mapping)
    for f, src in s.mapping.items():
        compile_source(src, f"{path}: [bidding.rtb_mapping] {f}")  # fail now, not on the first request
    values = doc.get("rtb_values", {})
    for f, table in values.items() if isinstance(values, dict) else [("", values)]:
        if not isinstance(table, dict) or not all(isinstance(v, str | bool | int | float) for v in table.values()):
            raise _bad(path, f"rtb_values.{f}", 'a table, e.g. IAB3 = "business"', "eine Tabelle", table)
        s.values[f] = {str(k): v for k, v in table.items()}
    return s


class Ledger:
    """``.nomagic/rtb_ledger.json``: the pacer's lease for this campaign (budget, start, end), written durably
    before money below it is committed, so a restarted server never spends what the last one may have."""

    def __init__(self, settings: Settings):
        self.path = Path(settings.path).parent / "rtb_ledger.json"
        self.campaign = {"budget": settings.budget, "start": str(settings.start), "end": str(settings.end)}

    def committed(self) -> float:
        """The last lease written for this campaign; 0 for a new campaign. An unreadable ledger stops bidding
        (InputError naming the file): guessing 0 could spend the budget twice."""
        if not self.path.exists():
            return 0.0
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            same = doc.get("campaign") == self.campaign
            return float(doc["committed"]) if same else 0.0
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                say(
                    "{p} is not a readable ledger ({e}); delete it only if no bid of this campaign was made",
                    "{p} ist kein lesbares Kassenbuch ({e}); nur löschen, wenn in dieser Kampagne nicht geboten wurde",
                    p=str(self.path),
                    e=str(exc),
                )
            ) from exc

    def write(self, committed: float) -> None:
        import os
        import tempfile

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".rtb_ledger.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"campaign": self.campaign, "committed": committed}, fh)
            fh.flush()
            os.fsync(fh.fileno())  # durable before the money below it is committed
        os.replace(tmp, self.path)
