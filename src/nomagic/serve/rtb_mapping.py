"""The model's feature row from an OpenRTB request: field paths (``site.cat[0]|app.cat[0]``, ``@hour``)
compiled to getters, and the tables that turn request values into the log's (see docs/rtb.md)."""

from __future__ import annotations

import math
import re
from typing import Any

from nomagic.errors import InputError
from nomagic.words import say

#: OpenRTB field → the log's feature column; ``a|b``: the first present; ``@...``: derived (see docs/rtb.md)
DEFAULT_MAPPING: dict[str, str] = {
    "site_category": "site.cat[0]|app.cat[0]",
    "category": "site.cat[0]|app.cat[0]",
    "domain": "site.domain|app.bundle",
    "site": "site.domain|app.bundle",
    "site_id": "site.id|app.id",
    "app_id": "app.id",
    "publisher": "site.publisher.id|app.publisher.id",
    "device": "device.devicetype",
    "os": "device.os",
    "ad_format": "@format",
    "above_fold": "imp.banner.pos|imp.video.pos",
    "slot_width": "imp.banner.w|imp.video.w",
    "slot_height": "imp.banner.h|imp.video.h",
    "slot_id": "imp.tagid",
    "tagid": "imp.tagid",
    "floor_price": "imp.bidfloor",
    "country": "device.geo.country|user.geo.country",
    "region": "device.geo.region|user.geo.region",
    "city": "device.geo.city|user.geo.city",
    "hour": "@hour",
    "weekday": "@weekday",
}

# ISO-3166-1 alpha-3 → alpha-2 (countries and the territories ad traffic often names)
_ISO3 = (
    "ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATGAG AUSAU AUTAT AZEAZ BDIBI BELBE BENBJ "
    "BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLRBY BLZBZ BMUBM BOLBO BRABR BRBBB BRNBN BTNBT BWABW CAFCF CANCA CHECH "
    "CHLCL CHNCN CIVCI CMRCM CODCD COGCG COLCO COMKM CPVCV CRICR CUBCU CUWCW CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM "
    "DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESPES ESTEE ETHET FINFI FJIFJ FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG "
    "GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HNDHN HRVHR HTIHT "
    "HUNHU IDNID IMNIM INDIN IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH "
    "KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MARMA MCOMC "
    "MDAMD MDGMG MDVMV MEXMX MHLMH MKDMK MLIML MLTMT MMRMM MNEME MNGMN MOZMZ MRTMR MTQMQ MUSMU MWIMW MYSMY MYTYT "
    "NAMNA NCLNC NERNE NGANG NICNI NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PERPE PHLPH PLWPW PNGPG POLPL "
    "PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG SLBSB SLESL SLVSV "
    "SMRSM SOMSO SRBRS SSDSS STPST SURSR SVKSK SVNSI SWESE SWZSZ SYCSC SYRSY TCDTD TGOTG THATH TJKTJ TKMTM TLSTL "
    "TONTO TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG VNMVN VUTVU "
    "WSMWS XKXXK YEMYE ZAFZA ZMBZM ZWEZW"
)
ISO3_TO_ISO2 = {pair[:3]: pair[3:] for pair in _ISO3.split()}

_IAB = {"IAB1": "entertainment", "IAB8": "food", "IAB12": "news", "IAB17": "sports", "IAB18": "fashion",
        "IAB19": "tech", "IAB20": "travel"}  # fmt: skip

#: values as the request writes them → as the log does (the simulator's words); ``*``: any other value,
#: ``""``: unknown. Replace a feature's table with ``[bidding.rtb_values.<feature>]`` (``{}``: none).
DEFAULT_VALUES: dict[str, dict[str, Any]] = {
    "device": {"1": "mobile", "4": "mobile", "2": "desktop", "5": "tablet", "3": "tv", "6": "connected device",
               "7": "set top box", "*": ""},
    "above_fold": {"1": True, "4": True, "7": True, "3": False, "5": False, "*": ""},
    # IAB tier-1 content categories (IAB12-3 is read as IAB12)
    "site_category": _IAB,
    "category": _IAB,
    "country": ISO3_TO_ISO2,
}  # fmt: skip

_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z][A-Za-z0-9_]*(\[\d+\])?)*$")
_STEP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
_FORMATS = ("banner", "native", "video", "audio")  # a multi-format imp is read as its first
DERIVED = ("@format", "@hour", "@weekday")


def _format(req, imp, now):
    for name in _FORMATS:
        if getattr(imp, name, None) is not None:
            return name
    return None


_DERIVED = {"@format": _format, "@hour": lambda req, imp, now: now.hour, "@weekday": lambda r, i, now: now.weekday()}


def _getter(path: str):
    """A function (request, imp, now) → the value at ``path`` (``imp.*`` from the impression), or None."""
    steps = [_STEP.match(part).groups() for part in path.split(".")]
    steps = [(name, None if idx is None else int(idx)) for name, idx in steps]
    from_imp = steps[0][0] == "imp"
    if from_imp:
        steps = steps[1:]

    def get(req, imp, now):
        obj = imp if from_imp else req
        for name, idx in steps:
            if obj is None:
                return None
            obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
            if idx is not None:
                obj = obj[idx] if isinstance(obj, list) and len(obj) > idx else None
        return obj

    return get


def compile_source(source: str, where: str):
    """``"a.b[0]|c.d|@hour"`` → a getter trying each in turn; an InputError naming ``where`` when malformed."""
    getters = []
    for alt in (s.strip() for s in str(source).split("|")):
        if alt in _DERIVED:
            getters.append(_DERIVED[alt])
        elif _PATH.match(alt) and not (alt == "imp"):
            getters.append(_getter(alt))
        else:
            raise InputError(
                say(
                    '{where} = {v!r}: not an OpenRTB field path (e.g. "site.cat[0]|app.cat[0]") or one of {d}',
                    '{where} = {v!r}: kein OpenRTB-Feldpfad (z. B. "site.cat[0]|app.cat[0]") und keiner von {d}',
                    where=where,
                    v=str(source),
                    d=", ".join(DERIVED),
                )
            )
    if len(getters) == 1:
        return getters[0]

    def first(req, imp, now):
        for g in getters:
            v = _scalar(g(req, imp, now))
            if v is not None:
                return v
        return None

    return first


def _scalar(v):
    """A usable feature value, or None (missing, blank, NaN, or not a scalar)."""
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, bool | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    return None


def _translate(v, table: dict | None):
    if v is None or not table:
        return v
    key = v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
    if key in table:
        out = table[key]
    elif isinstance(v, str) and "-" in key and key.split("-", 1)[0] in table:  # a sub-category: its tier 1
        out = table[key.split("-", 1)[0]]
    elif "*" in table:
        out = table["*"]
    else:
        return v
    return None if out == "" else out


class Mapping:
    """The model's features from a request and an impression: ``row(request, imp, now) -> dict``."""

    def __init__(self, features: list[str], mapping: dict[str, str], values: dict[str, dict], where: str = ""):
        self.features = list(features)
        self.unmapped = [f for f in self.features if f not in mapping]
        self._parts = []
        for f in self.features:
            if f in mapping:
                get = compile_source(mapping[f], f"{where}{f}")
                self._parts.append((f, get, values.get(f)))

    def row(self, req, imp, now) -> dict:
        row = dict.fromkeys(self.unmapped)  # what no field feeds is unknown
        for f, get, table in self._parts:
            row[f] = _translate(_scalar(get(req, imp, now)), table)
        return row
