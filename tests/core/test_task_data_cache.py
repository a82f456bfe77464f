"""Tokenised splits are cached: the second build of a task reads them instead of tokenising, and
an edit to the code that formats rows (or to the settings it reads) is never served stale."""

from __future__ import annotations

import importlib.util

from omegaconf import OmegaConf

from hyperpeft.backbones import load_tokenizer
from hyperpeft.data.fingerprint import code_fingerprint
from hyperpeft.data.task_data import build_task_data
from hyperpeft.formulation import EncoderHeads, TextToText
from hyperpeft.tasks import get_task
from hyperpeft.tasks.superglue import CB


def test_second_build_comes_from_the_cache_and_equals_the_first(tmp_path, data_dir):
    tokenizer = load_tokenizer(OmegaConf.create({"path": "minilm", "tokenizer": "minilm"}))
    limits = {"train": 40, "validation": 20, "test": 20}
    args = (get_task("cb"), tokenizer, EncoderHeads(), str(data_dir), 1, 64, limits, str(tmp_path))
    first, first_cached = build_task_data(*args)
    second, second_cached = build_task_data(*args)
    assert (first_cached, second_cached) == (False, True)
    assert [f.input_ids for f in second.features["train"]] == [
        f.input_ids for f in first.features["train"]
    ]
    assert len(list(tmp_path.glob("cb-*.pt"))) == 1
    # another formulation is another entry
    _, t5_cached = build_task_data(get_task("cb"), tokenizer, TextToText(), *args[3:])
    assert t5_cached is False
    assert len(list(tmp_path.glob("cb-*.pt"))) == 2


class CbWithHypothesisFirst(CB):
    """CB with one formatting method edited: the same rows and name, other features."""

    def encoder_example(self, row):
        example = super().encoder_example(row)
        example.texts = [(second, first) for first, second in example.texts]
        return example


def test_a_task_with_other_formatting_code_never_reads_the_old_entry(tmp_path, data_dir):
    tokenizer = load_tokenizer(OmegaConf.create({"path": "minilm", "tokenizer": "minilm"}))
    limits = {"train": 40, "validation": 20, "test": 20}
    rest = (tokenizer, EncoderHeads(), str(data_dir), 1, 64, limits, str(tmp_path))
    original, _ = build_task_data(get_task("cb"), *rest)
    edited, edited_cached = build_task_data(CbWithHypothesisFirst(), *rest)
    assert edited_cached is False  # rebuilt, although name, rows and tokenizer are the same
    assert edited.features["train"][0].input_ids != original.features["train"][0].input_ids
    assert len(list(tmp_path.glob("cb-*.pt"))) == 2
    _, again_cached = build_task_data(CbWithHypothesisFirst(), *rest)
    assert again_cached is True


HELPER = """
def prefix(text):
    return "{}" + text


class Formatting:
    words = ["no", "yes"]

    def source(self, row):
        return prefix(row["text"])

    def target(self, row):
        return self.words[row["label"]]
"""


def _load(path, text: str):
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("edited_formatting", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fingerprint_follows_helpers_and_the_settings_the_code_reads(tmp_path):
    path = tmp_path / "edited_formatting.py"
    first = _load(path, HELPER.format("question: "))
    key = code_fingerprint([first.Formatting().source])
    assert code_fingerprint([_load(path, HELPER.format("question: ")).Formatting().source]) == key
    # an edit in a module-level helper the method calls, not in the method itself
    assert code_fingerprint([_load(path, HELPER.format("q: ")).Formatting().source]) != key
    # a value the formatting reads from its object, as a custom task's label words
    formatting = first.Formatting()
    before = code_fingerprint([formatting.target])
    formatting.words = ["yes", "no"]
    assert code_fingerprint([formatting.target]) != before
    # code the entry point does not reach is not part of it: editing `prefix` keeps `target`'s
    assert code_fingerprint([_load(path, HELPER.format("q: ")).Formatting().target]) == before


def test_editing_a_custom_tasks_label_words_is_a_new_entry(tmp_path):
    train = tmp_path / "t.csv"
    train.write_text("text,label\n" + "".join(f"row {i},{i % 2}\n" for i in range(30)))
    spec = {"train": str(train), "text_fields": ["text"], "label_names": ["bad", "good"]}
    swapped = {**spec, "label_names": ["good", "bad"]}
    keys = [
        code_fingerprint([get_task("t", {"t": s}).text_to_text_example]) for s in (spec, swapped)
    ]
    assert keys[0] != keys[1]  # same rows (the file holds indices), other target words
