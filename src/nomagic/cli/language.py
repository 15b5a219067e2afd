"""Language commands: sentiment and intents on your labelled texts, and the FAQ assistant.

::

    nomagic evaluate-sentiment --data FILE --text COL --label COL [--test FILE] [--json FILE]
    nomagic evaluate-intent    --data FILE --text COL --label COL [--test FILE] [--json FILE]
    nomagic ask "QUESTION" [--faq FILE] [--warehouse URL] [--json]

``evaluate-sentiment`` compares a classifier trained on your labels (TF-IDF n-grams, sentence
embeddings or both stacked, chosen inside the training data) with a sentiment lexicon (VADER for
English, textblob-de for German); ``evaluate-intent`` compares the intent model with a bag-of-words
model, and test rows whose label never occurs in ``--data`` count as out of scope. Both exit 0 with a
record (promoted or not better than the baseline), 1 when the data is not ready, 2 on errors.
``ask`` answers from the FAQ (a file, or the warehouse's documents with source 'faq'), cites the
source entry, and hands off what it does not know. Needs ``pip install 'nomagic[nlp]'``.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import typer

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import lang, metrics_table, progress_bar, show, show_verdict
from nomagic.errors import InputError, writable
from nomagic.words import pick, say


def _read(path: Path, text: str, label: str | None, what: str):
    from nomagic.warehouse.readiness import read_table

    if not Path(path).exists():
        raise InputError(
            say("{what} file {path} does not exist", "{what}-Datei {path} existiert nicht", what=what, path=path)
        )
    df = read_table(path)
    for col, opt in ((text, "--text"), (label, "--label")):
        if col is not None and col not in df.columns:
            raise InputError(
                say(
                    "{path}: has no column {col!r} (given as {opt}); its columns are: {cols}",
                    "{path}: hat keine Spalte {col!r} (angegeben als {opt}); ihre Spalten sind: {cols}",
                    path=path,
                    col=col,
                    opt=opt,
                    cols=", ".join(map(str, df.columns)),
                )
            )
    return df


def _embedders(spec: str):
    """``use``, ``e5``, ``use,e5`` (a blend of both), ``st:FOLDER`` or a URL."""
    parts = [p.strip() for p in str(spec).split(",") if p.strip()]
    return parts if len(parts) > 1 else (parts[0] if parts else None)


def _check_out(path: Path | None) -> None:
    if path is not None:
        writable(path)


def _show(record: dict, model_col: str, base_col: str) -> None:
    if not show_verdict(record):
        return
    lg = lang()
    split = record["split"]
    how = {
        "given-test": say(
            "test file, {n:,} rows (95% CI)", "Testdatei, {n:,} Zeilen (95-%-KI)", n=split.get("test_rows", 0)
        ),
        "stratified-kfold": say(
            "{k}-fold stratified cross-validation, seed {seed} (95% CI)",
            "{k}-fache stratifizierte Kreuzvalidierung, Seed {seed} (95-%-KI)",
            k=split.get("folds"),
            seed=split.get("seed"),
        ),
        "stratified-holdout": say(
            "stratified {share:.0%} holdout, seed {seed} (95% CI)",
            "stratifizierter {share:.0%}-Testanteil, Seed {seed} (95-%-KI)",
            share=split.get("test_share", 0.2),
            seed=split.get("seed"),
        ),
    }.get(split["kind"], split["kind"])
    t = metrics_table(
        record,
        model=model_col,
        baseline=base_col,
        title=how,
        metric=say("metric (higher is better)", "Metrik (höher ist besser)"),
    )
    console.print(t)
    for d in pick(record.get("model", {}), "description", lg, [])[:5]:
        show(d, label=say("model:", "Modell:"), label_style="")
    for w in pick(record, "warnings", lg, None) or []:
        show(w, label=say("warning:", "Warnung:"))
    show(pick(record, "explanation", lg))


def _finish(record: dict, json_out: Path | None, source: Path, test: Path | None) -> None:
    from nomagic.lifecycle.record import write

    if json_out is not None:
        write(record, json_out)
        show(say("wrote {path}", "{path} geschrieben", path=str(json_out)))
    if record["verdict"] == "not ready":
        raise SystemExit(1)


def _data(path: Path, df, test: Path | None, tdf, text: str, label: str) -> dict:
    from nomagic.lifecycle.record import fingerprint_file

    d = {"source": path.name, "fingerprint": fingerprint_file(path), "rows": int(len(df)), "text": text, "label": label}
    if test is not None:
        d["test"] = test.name
        d["test_fingerprint"] = fingerprint_file(test)
        d["test_rows"] = int(len(tdf))
    return d


def _run_texts(run, what, words, data, text, label, test, json_out, embedder, **options) -> None:
    """Read the labelled file(s), run a text evaluation with a progress bar, show and write the record."""
    _check_out(json_out)
    df = _read(data, text, label, "--data")
    tdf = _read(test, text, label, "--test") if test is not None else None
    with progress_bar(what) as tick:
        rec = run(
            df[text].tolist(),
            df[label].tolist(),
            test_texts=None if tdf is None else tdf[text].tolist(),
            test_labels=None if tdf is None else tdf[label].tolist(),
            embedder=_embedders(embedder),
            data=_data(data, df, test, tdf, text, label),
            progress=tick,
            **options,
        )
    _show(rec, *words)
    _finish(rec, json_out, data, test)


def evaluate_sentiment(
    data: Path = typer.Option(..., "--data", help="Labelled texts: CSV, Parquet or JSON lines."),
    text: str = typer.Option(..., "--text", help="Column with the text."),
    label: str = typer.Option(..., "--label", help="Column with the sentiment label (e.g. positive/neutral/negative)."),
    test: Path = typer.Option(None, "--test", help="Judge on this file (same columns) instead of cross-validation."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    features: str = typer.Option(
        "auto", "--features", help="auto (chosen inside the training data), tfidf, embed or stack."
    ),
    embedder: str = typer.Option(
        "use", "--embedder", help="use, e5, use,e5 (both, blended), st:FOLDER or an OpenAI-compatible URL."
    ),
    folds: int = typer.Option(5, "--folds", help="Cross-validation folds without --test."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the folds and the bootstrap."),
) -> None:
    """Sentiment of your labelled texts: a trained classifier against a sentiment lexicon (VADER / textblob-de),
    macro-F1 and accuracy with 95% intervals. E-mail addresses, phone numbers and IBANs are masked first."""
    from nomagic.usecases.language.sentiment import evaluate_sentiment as run

    _run_texts(
        run,
        say("sentiment", "Stimmung"),
        (say("classifier", "Klassifikator"), say("lexicon", "Lexikon")),
        data,
        text,
        label,
        test,
        json_out,
        embedder,
        folds=folds,
        seed=seed,
        n_boot=n_boot,
        features=features,
    )


def evaluate_intent(
    data: Path = typer.Option(..., "--data", help="Labelled texts: CSV, Parquet or JSON lines."),
    text: str = typer.Option(..., "--text", help="Column with the text."),
    label: str = typer.Option(..., "--label", help="Column with the intent."),
    test: Path = typer.Option(
        None, "--test", help="Judge on this file; rows whose intent is not in --data count as out of scope."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    reject_rate: float = typer.Option(
        0.1,
        "--reject-rate",
        help="Share of held-out known-intent texts below the threshold (in use fewer: the final model is surer).",
    ),
    features: str = typer.Option("auto", "--features", help="auto, tfidf, embed or stack."),
    embedder: str = typer.Option(
        "use", "--embedder", help="use, e5, use,e5 (both, blended), st:FOLDER or an OpenAI-compatible URL."
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and the bootstrap."),
) -> None:
    """Intents of your labelled texts with out-of-scope rejection, against a bag-of-words model: accuracy,
    in-scope accuracy and out-of-scope recall with 95% intervals."""
    from nomagic.usecases.language.intents import evaluate_intent as run

    _run_texts(
        run,
        say("intents", "Anliegen"),
        (say("intent model", "Anliegen-Modell"), say("bag of words", "Bag of Words")),
        data,
        text,
        label,
        test,
        json_out,
        embedder,
        seed=seed,
        n_boot=n_boot,
        reject_rate=reject_rate,
        features=features,
    )


def ask(
    question: str = typer.Argument(..., help="The customer's question (German or English)."),
    faq: Path = typer.Option(
        None, "--faq", help="FAQ file (question + answer columns, or text 'Question? Answer.'); default: the warehouse."
    ),
    embedder: str = typer.Option("use", "--embedder", help="use, e5, st:FOLDER, an OpenAI-compatible URL, or none."),
    threshold: float = typer.Option(
        0.4, "--threshold", help="Least score for an answer; below it the question is handed off."
    ),
    examples: Path = typer.Option(
        None, "--examples", help="Past questions labelled with their FAQ entry; they train an intent classifier."
    ),
    examples_text: str = typer.Option("question", "--examples-text", help="Column of --examples with the question."),
    examples_entry: str = typer.Option(
        "faq_id", "--examples-entry", help="Column of --examples with the FAQ entry id."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    warehouse: str = WarehouseOption,
) -> None:
    """Answer a question from the FAQ with its source, or hand it to a person when unsure."""
    from nomagic.usecases.language.faq import FaqAssistant

    kw = {"embedder": None if embedder == "none" else embedder, "threshold": threshold}
    if examples is not None:
        df = _read(examples, examples_text, examples_entry, say("examples", "Beispiel"))
        empty = df[examples_entry].isna() | (df[examples_entry].astype(str).str.strip() == "")
        if empty.any():
            row = int(empty.to_numpy().argmax()) + 2  # + header, 1-based
            raise InputError(
                say(
                    "{path}, row {row}: column {col!r} is empty; every example needs its entry",
                    "{path}, Zeile {row}: Spalte {col!r} ist leer; jedes Beispiel braucht seinen Eintrag",
                    path=examples,
                    row=row,
                    col=examples_entry,
                )
            )
        kw["examples"] = list(
            zip(df[examples_text].fillna("").astype(str), df[examples_entry].astype(str), strict=True)
        )
    if faq is not None and not faq.exists():
        raise InputError(say("FAQ file {path} does not exist", "FAQ-Datei {path} existiert nicht", path=faq))
    learning = (
        progress_bar(say("learning the intents of the examples", "lerne die Anliegen der Beispiele"))
        if examples is not None
        else nullcontext()
    )
    with learning as tick:
        kw["progress"] = tick
        if faq is not None:
            assistant = FaqAssistant.from_file(faq, **kw)
        else:
            from nomagic.warehouse import connect

            with connect(warehouse) as wh:
                assistant = FaqAssistant.from_warehouse(wh, **kw)
    a = assistant.ask(question)
    if as_json:
        console.print_json(json.dumps(a.to_dict()))
        return
    if a.handoff:
        show(a.answer, "yellow")  # the answer is in the question's language
        if a.method == "intent":
            why = say(
                "(intent confidence {c:.2f}, below its threshold {t:.2f})",
                "(Konfidenz des Anliegens {c:.2f}, unter seiner Schwelle {t:.2f})",
                c=a.confidence,
                t=assistant.intents.threshold_,
            )
        else:
            why = say(
                "(best match scored {c:.2f}, below the threshold {t:.2f})",
                "(der beste Treffer erreicht {c:.2f}, unter der Schwelle {t:.2f})",
                c=a.confidence,
                t=assistant.threshold,
            )
        show(why)
    else:
        show(a.answer)
        how = say("intent confidence", "Konfidenz des Anliegens") if a.method == "intent" else say("score", "Wert")
        show(
            say(
                "source: {src} ({q}); {how} {c:.2f}",
                "Quelle: {src} ({q}); {how} {c:.2f}",
                src=a.source,
                q=a.matched_question,
                how=how,
                c=a.confidence,
            )
        )


app.command("evaluate-sentiment")(evaluate_sentiment)
app.command("evaluate-intent")(evaluate_intent)
app.command("ask")(ask)
