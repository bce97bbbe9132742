"""chrF++ and BLEU through sacrebleu, offline."""

from __future__ import annotations

import pytest

from tagregistry.errors import InputError
from tagregistry_lang.metrics import bleu, chrf_pp, translation_scores

REFERENCES = ["Le chat est assis sur le tapis.", "Ouvrez le menu Fichier."]


def test_perfect_and_empty_translations():
    assert chrf_pp(REFERENCES, REFERENCES) == pytest.approx(100.0)
    assert bleu(REFERENCES, REFERENCES) == pytest.approx(100.0)
    assert chrf_pp(["", ""], REFERENCES) == 0.0
    assert bleu(["", ""], REFERENCES) == 0.0


def test_chrf_plus_plus_counts_word_bigrams():
    import sacrebleu

    hypotheses = ["Le chat est sur le tapis.", "Ouvrez le Fichier menu."]
    plain_chrf = sacrebleu.corpus_chrf(hypotheses, [REFERENCES]).score
    ours = chrf_pp(hypotheses, REFERENCES)
    assert 0 < ours < 100 and ours != pytest.approx(plain_chrf)
    scores = translation_scores(hypotheses, REFERENCES)
    assert scores == {"chrf++": pytest.approx(ours), "bleu": pytest.approx(bleu(hypotheses, REFERENCES))}


def test_mismatched_lists_are_refused():
    with pytest.raises(InputError, match="1 translations but 2 references"):
        chrf_pp(["x"], REFERENCES)
    with pytest.raises(InputError, match="no sentences"):
        bleu([], [])
