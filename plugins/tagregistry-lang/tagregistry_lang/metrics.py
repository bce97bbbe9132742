"""Translation metrics from sacrebleu: chrF++ and BLEU offline, spBLEU where the network exists.

Scores are corpus-level, on a 0-100 scale, against one reference per sentence. spBLEU (the
paper's metric: BLEU on FLORES-101 SentencePiece pieces) needs sacrebleu to download its
SentencePiece model on first use, so it is asked for explicitly (``spbleu=True``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tagregistry.errors import InputError


def _check(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise InputError(f"{len(hypotheses)} translations but {len(references)} references; "
                         "give one translation per reference")
    if not references:
        raise InputError("no sentences to score")


def chrf_pp(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF++ (character 6-grams and word bigrams, beta 2)."""
    import sacrebleu

    _check(hypotheses, references)
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)], word_order=2).score)


def bleu(hypotheses: Sequence[str], references: Sequence[str], tokenize: str = "13a") -> float:
    """Corpus BLEU with sacrebleu's default ``13a`` tokenisation (``flores101`` is spBLEU)."""
    import sacrebleu

    _check(hypotheses, references)
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)],
                                       tokenize=tokenize).score)


def translation_scores(hypotheses: Sequence[str], references: Sequence[str],
                       spbleu: bool = False) -> dict[str, float]:
    """``{"chrf++": ..., "bleu": ...}`` (and ``"spbleu"`` when asked, which downloads)."""
    scores = {"chrf++": chrf_pp(hypotheses, references), "bleu": bleu(hypotheses, references)}
    if spbleu:
        scores["spbleu"] = bleu(hypotheses, references, tokenize="flores101")
    return scores
