"""Tokenised splits are cached: the second build of a task reads them instead of tokenising."""

from __future__ import annotations

from omegaconf import OmegaConf

from hyperpeft.backbones import load_tokenizer
from hyperpeft.data.task_data import build_task_data
from hyperpeft.formulation import EncoderHeads, TextToText
from hyperpeft.tasks import get_task


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
