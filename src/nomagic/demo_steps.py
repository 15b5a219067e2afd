"""The demo's work, below the command line and the server: simulate a shop, check the data, train and
register every use case, score every customer, monitor the brand, write the report.

``nomagic demo`` (``cli/demo.py``) tells a person each step; ``serve/demo.py`` builds the same world
quietly for the dashboard and its tests. Both call :func:`run`, which says what it does to a
:class:`Voice` (silent by default) in both languages. :func:`train_use_case` is also what
``nomagic train`` does for one use case.
"""

from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from nomagic.errors import InputError, NotReadyError, writable
from nomagic.words import LANGS, Text, say, verdict

DEFAULT_CUSTOMERS = 10_000
DEFAULT_DAYS = 730


class Voice:
    """Where the demo says what it does; this one is silent. The CLI's prints in the chosen language."""

    def step(self, text: Text) -> None:
        """A step's heading ("1. simulate a business")."""

    def line(self, text: Text, style: str = "") -> None:
        """One sentence."""

    @contextmanager
    def progress(self, what: Text):
        """A long task; yields ``update(fraction, message)``."""
        yield lambda fraction, message="": None

    def status(self, what: Text):
        """A short task without a measure of progress."""
        return nullcontext()

    def results(self, outcome: Outcome) -> None:
        """Step 5: the reality check of every use case, before the report."""


class PrintVoice(Voice):
    """Plain lines on stdout, in English (for scripts that build a world and want to see it)."""

    def step(self, text: Text) -> None:
        print(f"== {text}")

    def line(self, text: Text, style: str = "") -> None:
        print(text)


@dataclass
class Outcome:
    """What the demo made: one record per use case (and its registry meta), the brand monitoring."""

    records: list[dict] = field(default_factory=list)
    metas: list[dict | None] = field(default_factory=list)
    monitoring: Text = field(default_factory=lambda: Text(""))
    monitoring_html: dict = field(default_factory=dict)  # language -> the HTML section
    monitoring_row: dict = field(default_factory=dict)  # language -> the model-monitoring section
    value_html: dict = field(default_factory=dict)  # language -> the customer-value section
    report: Path | None = None
    seconds: float = 0.0


def guard(wh, force: bool) -> None:
    """Refuse to overwrite a warehouse that holds real (not simulated) data."""
    from nomagic.simulate import is_simulated

    canonical = {"customers", "orders", "events", "messages", "products"}
    if force or not (canonical & set(wh.tables())) or is_simulated(wh):
        return
    raise InputError(
        say(
            "{url} holds your own data (customer or order tables without a simulated truth); the demo would "
            "replace them. Run it on another warehouse (--warehouse demo.duckdb) or pass --force.",
            "{url} enthält eigene Daten (Kunden- oder Bestelltabellen ohne simulierte Wahrheit); die Demo würde "
            "sie ersetzen. Die Demo auf einem anderen Warehouse ausführen (--warehouse demo.duckdb) oder --force "
            "angeben.",
            url=wh.url,
        )
    )


def readiness_findings(wh, cls) -> tuple[str, list]:
    """The readiness verdict of a use case and its blocking reasons."""
    from nomagic.warehouse.readiness import check_use_case

    result = check_use_case(wh, cls.requires, name=cls.name)
    return result.verdict, [f.message for f in result.reasons if f.level == "blocker"]


def train_use_case(
    wh, cls, registry, *, challenger: bool = False, check: bool = True, update=None, source=None, options=None
):
    """Check readiness, train, register; returns (record, version or None)."""
    from nomagic.lifecycle.usecase import not_ready_record

    uc = cls(**(options or {}))
    if check:
        state, blockers = readiness_findings(wh, cls)
        if state == "not ready":
            return not_ready_record(uc, blockers, source), None
    try:
        result = uc.train(wh, progress=update, source=source)
    except NotReadyError as exc:
        return not_ready_record(uc, [exc.args[0] if exc.args else str(exc)], source), None
    version = registry.register(result, challenger=challenger)
    from nomagic.privacy import audit

    # a training (and a promotion, when it became the champion) goes into the governance log
    audit.record(
        wh,
        "model.train",
        target=f"{uc.name} {version.version}",
        details={
            "use_case": uc.name,
            "version": version.version,
            "status": version.status,
            "scorer": version.scorer,
            "verdict": result.record.get("verdict"),
            "promoted": version.status == "champion",
        },
    )
    return result.record, version


def use_case_names(use_cases: list[str] | None) -> list[str]:
    """The use cases the demo trains: those asked for, or every registered one that can train on a warehouse."""
    from nomagic.usecases import REGISTRY

    unknown = [n for n in use_cases or () if n not in REGISTRY]
    if unknown:
        raise InputError(
            say(
                "unknown use case(s) {unknown}; known: {known}",
                "unbekannte(r) Anwendungsfall/-fälle {unknown}; bekannt: {known}",
                unknown=", ".join(unknown),
                known=", ".join(REGISTRY),
            )
        )
    # a use case joins the demo by registering a class with `requires` and `train(wh, progress=, source=)`
    return [n for n in use_cases or REGISTRY if hasattr(REGISTRY[n], "train") and hasattr(REGISTRY[n], "requires")]


def run(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    days: int = DEFAULT_DAYS,
    seed: int = 0,
    out: Path = Path("report.html"),
    warehouse: str | None = None,
    force: bool = False,
    use_cases: list[str] | None = None,
    voice: Voice | None = None,
    lang: str = "en",
    drift: bool = True,
) -> Outcome:
    """The whole demo; the report (in ``lang``) goes to ``out``. With ``drift`` (and at least
    :data:`nomagic.demo_monitoring.MIN_DAYS` days), a competitor enters late in the history and the
    monitoring row (:mod:`nomagic.demo_monitoring`) shows the alert and the retraining decision."""
    from nomagic import demo_monitoring as dm
    from nomagic.lifecycle.registry import Registry
    from nomagic.simulate import simulate
    from nomagic.warehouse import connect

    voice = voice or Voice()
    names = use_case_names(use_cases)
    scene = dm.scenario(days) if drift else None
    writable(out)
    t0 = time.perf_counter()
    outcome = Outcome()
    with connect(warehouse) as wh:
        guard(wh, force)
        voice.step(say("1. simulate a business", "1. Ein Unternehmen simulieren"))
        with voice.progress(say("simulating", "Simulation")) as update:
            sim = simulate(
                wh,
                customers=customers,
                days=days,
                seed=seed,
                drift=[scene] if scene else None,
                progress=lambda d, t, w: update(d / max(t, 1), w),
            )
        voice.line(_world_line(sim))
        voice.step(say("2. check the data", "2. Die Daten prüfen"))
        _check(wh, names, voice)
        voice.step(say("3. train, backtest, judge", "3. Trainieren, rückwirkend testen, beurteilen"))
        registry = Registry.for_warehouse(wh.url)
        live = dm.live_date(sim.start, days) if scene and "churn" in names else None
        for name in names:
            # churn goes live before the change, so that the monitoring row can watch it
            options = {"until": live} if name == "churn" and live is not None else None
            record, meta = _train(wh, name, registry, voice, options)
            outcome.records.append(record)
            outcome.metas.append(meta)
        voice.step(say("4. monitor and retrain", "4. Überwachen und neu trainieren"))
        if live is None:
            voice.line(dm.skipped(days) if drift else say("no drift asked for", "keine Drift verlangt"))
        else:
            row = dm.run_row(wh, registry, scene, sim.start, voice)
            outcome.monitoring_row = row.html
            _serving(outcome, registry, "churn")
        voice.step(say("5. score every customer", "5. Jeden Kunden bewerten"))
        score_all(wh, registry, {r["use_case"]: r for r in outcome.records}, voice)
        outcome.value_html = customer_value(wh)
    outcome.monitoring, outcome.monitoring_html = brand_monitoring(wh.url, voice)
    voice.step(say("6. reality check", "6. Realitätscheck"))
    voice.results(outcome)
    voice.step(say("7. report", "7. Bericht"))
    with voice.status(say("drawing the report ...", "Der Bericht wird erstellt ...")):
        outcome.report = _write_report(out, outcome, lang)
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _world_line(sim) -> Text:
    counts = {n: sim.rows.get(n, 0) for n in ("orders", "events", "messages", "documents")}
    return say(
        "{n:,} customers, {start} to {end}: orders {orders:,}, events {events:,}, messages {messages:,}, "
        "documents {documents:,}",
        "{n:,} Kunden, {start} bis {end}: Bestellungen {orders:,}, Ereignisse {events:,}, Nachrichten "
        "{messages:,}, Dokumente {documents:,}",
        n=sim.customers,
        start=sim.start,
        end=sim.end,
        **counts,
    )


def readiness_word(state: str) -> Text:
    """A readiness verdict ("ready", "ready with warnings", "not ready") in both languages."""
    from nomagic.report.readiness import verdict_word

    return Text(verdict_word(state, "en"), verdict_word(state, "de"))


def level_word(level: str) -> Text:
    """A finding's level (blocker, warning, info) in both languages."""
    from nomagic.report.readiness import level_word as word

    return Text(word(level, "en"), word(level, "de"))


def _check(wh, names: list[str], voice: Voice) -> None:
    from nomagic.usecases import REGISTRY
    from nomagic.warehouse.readiness import check_use_case

    for name in names:
        with voice.status(say("checking {name} ...", "{name} wird geprüft ...", name=name)):
            result = check_use_case(wh, REGISTRY[name].requires, name=name)
        style = {"ready": "green", "ready with warnings": "yellow"}.get(result.verdict, "red")
        voice.line(say("{name}: {state}", "{name}: {state}", name=name, state=readiness_word(result.verdict)), style)
        for f in result.reasons:
            if f.level != "info":
                voice.line(
                    say("   {level}: {message}", "   {level}: {message}", level=level_word(f.level), message=f.message)
                )


def _serving(outcome: Outcome, registry, name: str) -> None:
    """After a retraining: the reality check and the report show the version that serves now."""
    version = registry.champion(name)
    for i, r in enumerate(outcome.records):
        if r.get("use_case") == name and version is not None and outcome.metas[i] != version.meta:
            outcome.records[i], outcome.metas[i] = version.record(), version.meta


def _train(wh, name: str, registry, voice: Voice, options: dict | None = None) -> tuple[dict, dict | None]:
    from nomagic.usecases import REGISTRY

    t1 = time.perf_counter()
    with voice.progress(say("training {name}", "{name} wird trainiert", name=name)) as update:
        record, version = train_use_case(
            wh, REGISTRY[name], registry, check=True, update=update, source=wh.url, options=options
        )
    took = time.perf_counter() - t1
    code = Text(verdict(record["verdict"]), verdict(record["verdict"], "de"))
    if version is None:
        voice.line(
            say("{name}: {verdict} in {s:.0f}s", "{name}: {verdict} in {s:.0f} s", name=name, verdict=code, s=took)
        )
        return record, None
    status = Text(*STATUS.get(version.status, (version.status, version.status)))
    voice.line(
        say(
            "{name}: {verdict} in {s:.0f}s -> {version} ({status})",
            "{name}: {verdict} in {s:.0f} s -> {version} ({status})",
            name=name,
            verdict=code,
            s=took,
            version=version.version,
            status=status,
        )
    )
    return record, version.meta


#: a registry version's status in both languages
STATUS = {
    "champion": ("champion", "Champion"),
    "challenger": ("challenger", "Challenger"),
    "retired": ("retired", "abgelöst"),
}


def score_all(wh, registry, records: dict[str, dict], voice: Voice | None = None) -> None:
    """Leave a complete product: the scores the dashboard and the API serve, in the warehouse.

    Churn and propensity score with whatever the gate chose (the model, or the baseline it did not
    beat); customer value only with a promoted model (otherwise nothing to serve, and it says so);
    segments need no gate (no outcome to beat)."""
    from nomagic.lifecycle.scoring import score, write_scores
    from nomagic.usecases import REGISTRY

    voice = voice or Voice()
    for name in ("churn", "propensity"):
        if name not in records or records[name]["verdict"] == "not ready":
            continue
        with voice.progress(say("scoring {name}", "{name} wird bewertet", name=name)) as update:
            scores = score(REGISTRY[name](), wh, registry, progress=update)
            where = write_scores(wh, scores, name, None)
        scorer = scorer_word(scores["scorer"].iloc[0] if len(scores) else "-")
        voice.line(
            say(
                "{name}: {n:,} customers scored with the {scorer} -> {where}",
                "{name}: {n:,} Kunden bewertet mit {scorer} -> {where}",
                name=name,
                n=len(scores),
                scorer=scorer,
                where=where,
            )
        )
    clv = records.get("clv")
    if clv is not None and clv["verdict"] == "promoted":
        from nomagic.usecases.clv.usecase import Clv

        with voice.progress(say("scoring customer value", "Kundenwert wird berechnet")) as update:
            df = Clv().write_scores(wh, None, progress=update)
        voice.line(
            say("clv: {n:,} customers scored -> clv_scores", "clv: {n:,} Kunden bewertet -> clv_scores", n=len(df))
        )
    elif clv is not None:
        code = Text(verdict(clv["verdict"]), verdict(clv["verdict"], "de"))
        voice.line(
            say(
                "clv: not scored: the model is {verdict}", "clv: nicht bewertet: das Modell ist {verdict}", verdict=code
            )
        )
    if "clv" in records:
        from nomagic.usecases.segments import Segments

        with voice.progress(say("segmenting", "Segmentierung")) as update:
            out, _, _ = Segments().write_scores(wh, None, progress=update)
        voice.line(say("segments: {n:,} customers -> segments", "Segmente: {n:,} Kunden -> segments", n=len(out)))


def scorer_word(scorer: str) -> Text:
    """What scored: "model" -> the model / dem Modell, "baseline" -> the baseline / der Baseline."""
    return Text(
        *{"model": ("model", "dem Modell"), "baseline": ("baseline", "der Baseline")}.get(scorer, (scorer, scorer))
    )


def sentiment_model(label: str | None, model: str, warehouse: str | None):
    """(predictor or None, words): the champion sentiment model when asked for and present, else the lexicon."""
    if label or model == "lexicon":
        return None, ""
    from nomagic.lifecycle.registry import Registry
    from nomagic.usecases.language.textclf import load_classifier

    if model != "champion":
        folder = Path(model)
        if not folder.is_dir():
            raise InputError(
                say(
                    "--model {model}: not a folder with a saved sentiment model (or 'champion', 'lexicon')",
                    "--model {model}: kein Ordner mit einem gespeicherten Sentiment-Modell (oder 'champion', 'lexicon')",
                    model=model,
                )
            )
        return load_classifier(folder), say("the sentiment model in {f}", "das Sentiment-Modell in {f}", f=folder)
    champion = Registry.for_warehouse(warehouse).champion("sentiment")
    if champion is None or champion.scorer != "model":
        return None, ""
    return load_classifier(champion.folder), say(
        "the warehouse's champion sentiment model ({v})",
        "das Champion-Sentiment-Modell des Warehouse ({v})",
        v=champion.version,
    )


def brand_documents(warehouse: str | None, sources: list[str]):
    """The warehouse's documents of ``sources``, or an error that says what is missing."""
    from nomagic.usecases.language.monitor import warehouse_mentions
    from nomagic.warehouse import connect

    with connect(warehouse) as wh:
        has_table = "documents" in wh.tables()
        df = warehouse_mentions(wh, sources)
    if not has_table:
        raise InputError(
            say(
                "the warehouse has no documents table: load one (nomagic load) or give --data FILE",
                "das Warehouse hat keine Tabelle documents: eine laden (nomagic load) oder --data DATEI angeben",
            )
        )
    if df is None:
        raise InputError(
            say(
                "the warehouse has no documents with source {sources}",
                "das Warehouse hat keine Dokumente mit der Quelle {sources}",
                sources=", ".join(sources),
            )
        )
    return df


def customer_value(wh) -> dict:
    """{language: the report's customer-value section} from the clv_scores table (empty without it)."""
    from nomagic.report.value import clv_value_html

    if "clv_scores" not in wh.tables():
        return {}
    scores = wh.table("clv_scores").execute()
    return {lg: clv_value_html(scores, lg) for lg in LANGS}


def brand_monitoring(warehouse, voice: Voice | None = None) -> tuple[Text, dict]:
    """(a line for people, {language: HTML section}): the shop's social posts over time, alerts and topics."""
    import html

    from nomagic.errors import NomagicError
    from nomagic.report.monitor import fragment
    from nomagic.simulate.texts import BRAND
    from nomagic.usecases.language.monitor import monitor

    voice = voice or Voice()
    heads = {
        lg: f"<h2 id='brand-monitoring'>{say('Brand monitoring', 'Markenbeobachtung').lang(lg)}</h2>" for lg in LANGS
    }
    try:
        with voice.status(
            say("brand monitoring of the social posts ...", "Markenbeobachtung der Social-Media-Beiträge ...")
        ):
            df = brand_documents(warehouse, ["social"])
            predictor, words = sentiment_model(None, "champion", warehouse)
            rec = monitor(
                df,
                text="text",
                time_col="created_at",
                brands={BRAND: [BRAND]},
                predictor=predictor,
                predictor_words=words,
            )
    except NomagicError as exc:  # no social posts, or the nlp extra is missing
        why = exc.args[0] if exc.args else str(exc)
        skipped = say("skipped: {why}", "übersprungen: {why}", why=why)
        return skipped, {lg: f"{heads[lg]}<p class='meta'>{html.escape(skipped.lang(lg))}</p>" for lg in LANGS}
    line = say(
        "{n:,} posts, sentiment by {source}; {alerts} alert(s), {topics} topics (see the report)",
        "{n:,} Beiträge; Sentiment: {source}; {alerts} Warnung(en), {topics} Themen (siehe Bericht)",
        n=rec["data"]["mentions"],
        source=rec["sentiment"]["source"],
        alerts=len(rec["alerts"]),
        topics=len(rec["topics"]),
    )
    return line, {lg: heads[lg] + fragment(rec, lang=lg) for lg in LANGS}


def _write_report(out: Path, outcome: Outcome, lang: str) -> Path:
    from nomagic import report

    title = say("nomagic demo: a simulated business", "nomagic-Demo: ein simuliertes Unternehmen").lang(lang)
    extras = [
        outcome.value_html.get(lang, ""),
        outcome.monitoring_row.get(lang, ""),
        outcome.monitoring_html.get(lang, ""),
    ]
    report.write(out, outcome.records, outcome.metas, title=title, extras=extras, lang=lang)
    return out
