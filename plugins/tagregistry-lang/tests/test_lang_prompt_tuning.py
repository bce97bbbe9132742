"""The PEFT prompt-tuning baseline on a tiny Gemma 3: only the soft prompt trains, the loss
covers the translation, and the tuned model translates a batch one line each."""

from __future__ import annotations

import pytest
import torch

from tagregistry.testing import tiny_base
from tagregistry_lang import prompt_tuning
from tagregistry_lang.help_corpus import load_help_pair_mix

pytest.importorskip("peft")


def test_labels_cover_only_the_translation_and_eos():
    base = tiny_base("gemma3")
    record = {"text": "Open the file.", "translation": "Ouvrez le fichier.",
              "source_language": "EN", "target_language": "FR"}
    ids, mask, labels = prompt_tuning._batch(base.tokenizer, [record])
    prompt = base.tokenizer(prompt_tuning.plain_prompt(record["text"], "EN", "FR"))["input_ids"]
    kept = labels[0][labels[0] != -100].tolist()
    assert kept[-1] == base.tokenizer.eos_token_id
    assert base.tokenizer.decode(kept[:-1]) == " Ouvrez le fichier."
    assert ids[0, :len(prompt)].tolist() == prompt and int(mask.sum()) == ids.shape[1]


def test_trains_the_soft_prompt_only_and_translates(help_tree):
    base = tiny_base("gemma3")
    frozen = {k: v.clone() for k, v in base.model.state_dict().items()}
    records = load_help_pair_mix("train", ["EN-FR", "FR-EN"], help_tree, limit=8)
    model, details = prompt_tuning.train(base, records, steps=3, batch_size=2, lr=1e-2,
                                         virtual_tokens=4)
    assert details["trainable_parameters"] == 4 * base.hidden_size
    assert all(torch.equal(v, base.model.state_dict()[k]) for k, v in frozen.items())
    out = prompt_tuning.translate(model, base.tokenizer, ["Open the file.", "Save it."], "EN", "FR",
                                  max_new_tokens=3, batch_size=2)
    assert len(out) == 2 and all(isinstance(t, str) and "\n" not in t for t in out)
