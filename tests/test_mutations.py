"""rtl_verif.mutations: every patch applies to today's RTL exactly once and
changes it; a patch that no longer matches is refused by name (no simulator)."""

import pytest

from rtl_verif import blocks, mutations
from rtl_verif.blocks import BLOCKS


@pytest.mark.parametrize("m", mutations.MUTATIONS, ids=lambda m: f"{m.block}-{m.ident}")
def test_patch_applies_once_and_changes_the_rtl(m):
    assert m.file in BLOCKS[m.block].sources
    text = (blocks.RTL_DIR / m.file).read_text()
    mutated = mutations.patch_text(text, m)
    assert mutated != text
    assert mutated.count(m.new) == text.count(m.new) + 1


def test_one_mutation_per_block():
    covered = [m.block for m in mutations.MUTATIONS]
    assert len(covered) == len(set(covered))
    # every block but the SoC (its programs run the three register blocks, which have their own)
    assert set(covered) == set(BLOCKS) - {"soc"}
    for m in mutations.MUTATIONS:
        from rtl_verif.runner import list_tests
        assert m.testcase in list_tests(m.block), f"{m.block}: no test {m.testcase}"


def test_stale_patch_is_refused_by_name():
    m = mutations.MUTATIONS[0]._replace(old="no such text")
    with pytest.raises(mutations.MutationError, match="crc32/poly.*occurs 0 times"):
        mutations.patch_text("module crc32; endmodule", m)


def test_patch_in_a_file_the_block_does_not_have_is_refused():
    m = mutations.MUTATIONS[0]._replace(file="viterbi_dec.sv")
    with pytest.raises(mutations.MutationError, match="not a source of crc32"):
        mutations.write_sources(m)


def test_mutant_tree_restores_the_registry_and_runner_dirs():
    from rtl_verif import runner
    m = mutations.MUTATIONS[0]
    before = (BLOCKS[m.block], runner.BUILD, runner.RESULTS)
    with mutations._mutant_tree(m, ("/tmp/x.sv",)):
        assert BLOCKS[m.block].sources == ("/tmp/x.sv",)
        assert runner.BUILD.is_relative_to(mutations.mutant_dir(m))
    assert (BLOCKS[m.block], runner.BUILD, runner.RESULTS) == before
