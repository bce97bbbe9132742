"""Tiny random models and a local tokenizer for tests (nothing is downloaded).

- :func:`tiny_tokenizer`: a byte-level BPE trained on a small built-in corpus (about 400
  tokens, adds ``<bos>``), wrapped as a ``PreTrainedTokenizerFast``.
- :func:`tiny_model`: a 2-layer causal LM of one of :data:`ARCHITECTURES`, seeded.
- :func:`tiny_base`: both, as a frozen :class:`~tagregistry.models.loading.LoadedBase`.
- :data:`testing_plugin`: an in-process plugin with test domains, functions and named tiny
  bases; use it as ``Catalog(extra=[("testing", testing_plugin)])``.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import BaseModelSpec, DomainSpec, FunctionSpec, HeadSpec, SlotSpec

ARCHITECTURES = ("llama", "mistral", "qwen2", "gpt2", "gpt_neox", "gemma", "gemma3")
SPECIAL_TOKENS = ["<unk>", "<pad>", "<bos>", "<eos>"]

_CORPUS = [
    "The SMILES of the molecule is CCO. Its QED is high.",
    "The molecule c1ccccc1O has a ring; its score is low and its class is b.",
    "Describe the molecule CC(=O)Oc1ccccc1C(=O)O in words: a small aspirin ester.",
    "The protein M K T A Y I A K Q R binds the ligand N[C@@H](C)C(=O)O strongly.",
    "What is the value of this input? The answer is a number between zero and one.",
    "Translate the sentence into French: the cat sits on the mat. Le chat est assis.",
    "Brc1ccc(Cl)cc1 C#N [Na+] [O-] S(=O)(=O) P F I 0 1 2 3 4 5 6 7 8 9 % @ / \\ #",
    "Its LogP is moderate, its TPSA is large, and its weight is about two hundred.",
]


@lru_cache(maxsize=4)
def tiny_tokenizer(vocab_size: int = 400, add_bos: bool = True) -> Any:
    """A deterministic byte-level BPE tokenizer (``PreTrainedTokenizerFast``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    backend.train_from_iterator(_CORPUS * 3, trainer=trainer)
    if add_bos:
        bos = backend.token_to_id("<bos>")
        backend.post_processor = processors.TemplateProcessing(
            single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", bos)]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", bos_token="<bos>",
        eos_token="<eos>",
    )


def tiny_config(arch: str, vocab_size: int, hidden_size: int = 32, max_positions: int = 256) -> Any:
    """A 2-layer config of ``arch`` (one of :data:`ARCHITECTURES`)."""
    import transformers as tf

    common = {"vocab_size": vocab_size, "bos_token_id": 2, "eos_token_id": 3, "pad_token_id": 1}
    heads = 4
    if arch == "gpt2":
        return tf.GPT2Config(n_embd=hidden_size, n_layer=2, n_head=heads, n_positions=max_positions,
                             **common)
    if arch == "gpt_neox":
        return tf.GPTNeoXConfig(hidden_size=hidden_size, num_hidden_layers=2,
                                num_attention_heads=heads, intermediate_size=2 * hidden_size,
                                max_position_embeddings=max_positions, **common)
    llama_like = {
        "hidden_size": hidden_size, "intermediate_size": 2 * hidden_size, "num_hidden_layers": 2,
        "num_attention_heads": heads, "num_key_value_heads": 2,
        "max_position_embeddings": max_positions, **common,
    }
    if arch == "llama":
        return tf.LlamaConfig(**llama_like)
    if arch == "mistral":
        return tf.MistralConfig(sliding_window=max_positions, **llama_like)
    if arch == "qwen2":
        return tf.Qwen2Config(**llama_like)
    if arch == "gemma":
        return tf.GemmaConfig(head_dim=hidden_size // heads, **llama_like)
    if arch == "gemma3":  # a sliding-window layer (window 8) and a full one, as in Gemma 3
        return tf.Gemma3TextConfig(head_dim=hidden_size // heads, sliding_window=8,
                                   layer_types=["sliding_attention", "full_attention"], **llama_like)
    raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")


def tiny_model(arch: str = "llama", seed: int = 0, hidden_size: int = 32, vocab_size: int | None = None) -> Any:
    """A seeded random 2-layer causal LM in eval mode (float32, CPU)."""
    import torch
    from transformers import AutoModelForCausalLM

    vocab = vocab_size or len(tiny_tokenizer())
    config = tiny_config(arch, vocab, hidden_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config)
    return model.eval()


def tiny_base(arch: str = "llama", seed: int = 0, hidden_size: int = 32) -> Any:
    """A frozen ``LoadedBase`` (model id ``tiny-<arch>-<seed>``) with :func:`tiny_tokenizer`."""
    from tagregistry.models.loading import LoadedBase

    model = tiny_model(arch, seed, hidden_size)
    return LoadedBase.from_model(model, tiny_tokenizer(), model_id=f"tiny-{arch}-{seed}")


def load_tiny(arch: str = "llama", seed: int = 0, dtype: Any = None) -> tuple[Any, Any]:
    """A base-model loader (``BaseModelSpec.loader``) returning ``(model, tokenizer)``."""
    model = tiny_model(arch, seed)
    if dtype is not None:
        model = model.to(dtype)
    return model, tiny_tokenizer()


def load_tiny_gpt2(dtype: Any = None) -> tuple[Any, Any]:
    """The ``tiny-gpt2`` named base of :data:`testing_plugin`."""
    return load_tiny("gpt2", dtype=dtype)


# -- an in-process plugin for tests ----------------------------------------------------------
TEST_DOMAINS = [
    DomainSpec(name="TestMol", tokenizer="plain", family="testmol", description="test molecules"),
    DomainSpec(name="TestMolChars", tokenizer="characters", family="testmol"),
    DomainSpec(name="TestText", tokenizer="plain"),
]
TEST_FUNCTIONS = [
    FunctionSpec(
        name="TestScore", slots=[SlotSpec(name="mol", domains=["TestMol"], families=["testmol"])],
        template="The molecule is {TestMol:mol}. Its score is {TestScore}",
        head=HeadSpec(type="regression"), output="scalar",
    ),
    FunctionSpec(
        name="TestVector", slots=[SlotSpec(name="mol", domains=["TestMol"], families=["testmol"])],
        template="The molecule is {TestMol:mol}. Its weight and ring count are {TestVector}",
        head=HeadSpec(type="regression", output_dim=2), output="vector",
    ),
    FunctionSpec(
        name="TestClass", slots=[SlotSpec(name="mol", domains=["TestMol"], families=["testmol"])],
        template="The molecule is {TestMol:mol}. Its class is {TestClass}",
        head=HeadSpec(type="classification", output_dim=3, labels=["a", "b", "c"]),
        output="class", metric="accuracy",
    ),
    FunctionSpec(
        name="TestDescribe", slots=[SlotSpec(name="mol", domains=["TestMol"], families=["testmol"])],
        template="Describe the molecule {TestMol:mol} in words: {TestDescribe}", output="text",
    ),
    FunctionSpec(
        name="TestPair",
        slots=[SlotSpec(name="mol", domains=["TestMol"]), SlotSpec(name="text", domains=["TestText"])],
        template="The molecule {TestMol:mol} and the sentence {TestText:text} give {TestPair}",
        head=HeadSpec(type="regression"),
    ),
]


@hookimpl(specname="tagregistry_domains")
def _domains() -> list[DomainSpec]:
    return list(TEST_DOMAINS)


@hookimpl(specname="tagregistry_functions")
def _functions() -> list[FunctionSpec]:
    return list(TEST_FUNCTIONS)


@hookimpl(specname="tagregistry_base_models")
def _base_models() -> list[BaseModelSpec]:
    return [BaseModelSpec(name="tiny-gpt2", loader="tagregistry.testing:load_tiny_gpt2",
                          model_id="tiny-gpt2", description="2-layer random GPT-2 for tests")]


#: Register with ``Catalog(extra=[("testing", testing_plugin)])``.
testing_plugin = SimpleNamespace(
    tagregistry_domains=_domains, tagregistry_functions=_functions,
    tagregistry_base_models=_base_models,
)
