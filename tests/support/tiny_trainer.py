"""A ``TagTrainer`` on a tiny random base with random tags, and its loss and gradients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.readout import Readout
from tagregistry.engine.splice import TagTable
from tagregistry.heads import RegressionHead
from tagregistry.specs import HeadSpec
from tagregistry.testing import tiny_base
from tagregistry.training.examples import Example, encode_function_examples
from tagregistry.training.trainable import TagTrainer


def tiny_trainer(arch: str, catalog: Any, template: str, slots: Sequence[str],
                 records: Sequence[Mapping[str, Any]], tag_lengths: Mapping[str, int],
                 function: str, *, readout: Readout | None = None,
                 text_target: bool = False) -> tuple[TagTrainer, list[Example]]:
    """Tags of ``tag_lengths`` (``torch.manual_seed(0)``, in order), only ``function``
    trainable; a regression head reading ``readout``, or an LM objective with ``text_target``."""
    loaded = tiny_base(arch)
    torch.manual_seed(0)
    hidden = loaded.hidden_size
    tags = {name: torch.randn(p, hidden) for name, p in tag_lengths.items()}
    table = TagTable(tags, trainable=[function])
    head = None
    if not text_target:
        head = RegressionHead((readout or Readout()).width(hidden), HeadSpec(type="regression"))
    trainer = TagTrainer(loaded.model, table, head, "lm" if text_target else "regression",
                         readout=readout)
    examples = encode_function_examples(
        PromptEncoder(loaded.tokenizer, catalog), template, list(slots), list(records),
        dict(tag_lengths), label_field="label", output="text" if text_target else "scalar",
    )
    return trainer, examples


def loss_and_grads(trainer: TagTrainer, batch: Any,
                   fast: bool = True) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The training loss of ``batch`` and the gradient of every trainable parameter."""
    trainer.zero_grad(set_to_none=True)
    loss = trainer(batch, fast=fast)
    loss.backward()
    return loss.detach(), {k: p.grad.clone() for k, p in trainer.trainable_parameters().items()}


#: the testing plugin's two-slot function and the tag lengths the tests give it
PAIR_TEMPLATE = "The molecule {TestMol:mol} and the sentence {TestText:text} give {TestPair}"
PAIR_TAGS = {"TestMol": 2, "TestText": 3, "TestPair": 4}


def pair_trainer(arch: str, catalog: Any, records: Sequence[Mapping[str, Any]], *,
                 readout: Readout | None = None,
                 text_target: bool = False) -> tuple[TagTrainer, list[Example]]:
    """:func:`tiny_trainer` for ``TestPair`` (slots ``mol`` and ``text``) on ``records``."""
    return tiny_trainer(arch, catalog, PAIR_TEMPLATE, ["mol", "text"], records, PAIR_TAGS,
                        "TestPair", readout=readout, text_target=text_target)
