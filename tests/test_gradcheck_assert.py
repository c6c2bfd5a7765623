"""A plain `assert tg.gradcheck(...)` shows the failing rows first: under pytest (default and -vv) and in
plain Python. Each is run for real, in a subprocess, on a small failing file."""

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygraph as tg
import twins

FAILING = textwrap.dedent('''
    import numpy as np
    import tinygraph as tg
    from tinygraph.testing import check_layer

    class Twice(tg.Tanh):
        def backward(self, dy):
            return 2 * super().backward(dy)

    X = np.random.default_rng(0).uniform(0.2, 1.0, (3, 4))

    def test_a_plain_assert_of_a_call():
        assert tg.gradcheck(tg.Sequential(tg.Dense(4, 4, rng=0), Twice()), X)

    def test_a_plain_assert_of_a_name():
        report = tg.gradcheck(Twice(), X)
        assert report

    def test_check_layer():
        check_layer(Twice(), X)
''')


def run(args, cwd):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def section(output, test):
    """The part of pytest's output about one failing test."""
    start = output.index(f"_ {test} _")
    end = output.find("\n___", start + 1)
    return output[start : end if end > 0 else None]


@pytest.mark.parametrize("verbosity", [[], ["-vv"]], ids=["default", "-vv"])
def test_pytest_shows_the_failing_rows_first_and_no_tinygraph_frames(tmp_path, verbosity):
    (tmp_path / "test_mine.py").write_text(FAILING)
    result = run(["-m", "pytest", "-p", "no:cacheprovider", "test_mine.py", *verbosity], tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout

    call = section(out, "test_a_plain_assert_of_a_call")
    errors = [line for line in call.splitlines() if line.startswith("E ")]
    assert errors[0] == "E       AssertionError: gradcheck Sequential(Dense(4→4) >> Twice): FAILED; culprit 1 (Twice); wrong: input, 0.weight, 0.bias"
    assert errors[1].startswith("E         culprit: 1 (Twice), checked alone at the input it saw: input gradient is wrong")
    assert re.match(r"E\s+input\s+\(3, 4\)\s.*FAIL$", errors[3])  # after the header: the failing rows, whole
    assert "\\n" not in call  # lines, not one escaped line cut to 240 characters

    name = section(out, "test_a_plain_assert_of_a_name")
    assert "E       AssertionError: gradcheck Twice: FAILED; wrong: input" in name

    layer = section(out, "test_check_layer")
    assert "E       AssertionError: check_layer(Twice): input gradient is wrong: at index" in layer
    assert re.search(r"E\s+input\s+\(3, 4\)\s.*FAIL", layer)
    for frame in (call, name, layer):  # the traceback stops at the test: tinygraph's own frames are hidden
        assert "tinygraph/" not in frame and "def check_layer" not in frame and "def __bool__" not in frame


def test_plain_python_puts_the_report_in_the_assertion_error(tmp_path):
    script = FAILING + textwrap.dedent('''
        report = tg.gradcheck(Twice(), X)
        assert not report and bool(report) is False and report.ok is False  # a plain falsy object ...
        if report:
            raise SystemExit("truthy")
        try:
            assert report, "my own message"
        except AssertionError as error:
            assert str(error) == "my own message"  # ... that keeps the caller's own message
        test_a_plain_assert_of_a_call()
    ''')
    (tmp_path / "mine.py").write_text(script)
    result = run(["mine.py"], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    start = lines.index("AssertionError: gradcheck Sequential(Dense(4→4) >> Twice): FAILED; culprit 1 (Twice); wrong: input, 0.weight, 0.bias")
    assert re.match(r"\s+input\s+\(3, 4\)\s.*FAIL$", lines[start + 3])


def test_a_passing_report_is_truthy_and_a_failing_one_falsy_outside_an_assert():
    x = np.random.default_rng(0).uniform(0.2, 1.0, (3, 4))
    good, bad = tg.gradcheck(tg.Tanh(), x), tg.gradcheck(twins.WrongFactorSigmoid(), x)
    assert good and bool(good)
    assert not bad and bool(bad) is False and [r for r in (good, bad) if r] == [good]
    with pytest.raises(AssertionError, match=r"^gradcheck WrongFactorSigmoid: FAILED; wrong: input\n"):
        assert bad


def test_repr_starts_with_the_failures():
    bad = tg.gradcheck(twins.ForgetsBiasDense(3, 2, rng=0), np.ones((4, 3)))
    text = repr(bad)
    assert text == str(bad)
    assert text[:120].startswith("gradcheck ForgetsBiasDense(3→2): FAILED; wrong: bias")  # what pytest's 240 keep
