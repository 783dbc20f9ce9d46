"""What the lectures state about torch, checked here independently of the notebooks.

Each test computes a fact with torch (or writes a rule out by hand and compares it with torch), and
then checks that the lecture which teaches it says so, in its prose or in its stored output (stored
outputs are themselves re-derived by test_lectures). A lecture cannot drift back to a false claim.
"""

import math
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from autograder.course import notebook

ROOT = Path(__file__).resolve().parents[1]


def cells(lecture: str, kind: str) -> str:
    nb = notebook.read(ROOT / "course" / lecture)
    return "\n".join(c.source for c in nb.cells if c.cell_type == kind)


def shown(lecture: str) -> str:
    nb = notebook.read(ROOT / "course" / lecture)
    return "\n".join(t for c in nb.cells if c.cell_type == "code" for t in notebook.text_outputs(c))


def everything(lecture: str) -> str:
    return cells(lecture, "markdown") + cells(lecture, "code") + shown(lecture)


# 09: why sigmoid saturates in float32


def test_sigmoid_is_one_because_the_denominator_rounds_not_because_sigma_17_rounds_to_one():
    one = torch.tensor(1.0)
    below_one = torch.nextafter(one, torch.tensor(0.0))
    correctly_rounded = torch.tensor(1 / (1 + math.exp(-17)), dtype=torch.float64).float()
    assert correctly_rounded == below_one < one  # sigma(17) itself is not nearest to 1
    assert 1 + torch.exp(torch.tensor(-17.0)) == one  # 1 + e^-17 is
    assert torch.sigmoid(torch.tensor(17.0)) == one
    # the threshold is e^-s = 2^-24, i.e. s = 24 ln 2; both sides with a wide margin
    assert torch.sigmoid(torch.tensor(16.5)) < one and torch.sigmoid(torch.tensor(16.8)) == one
    text = everything("09_classification.ipynb")
    assert "24 \\ln 2" in text and "nextafter" in text and "closer to 1 than to the next float below 1" not in text


# 04 and 08: accumulating mean losses over micro-batches


@pytest.mark.parametrize("k", [2, 4])
def test_summing_mean_losses_of_k_micro_batches_gives_k_times_the_gradient(k):
    torch.manual_seed(0)
    inputs, targets = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    w = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    ((w * inputs - targets) ** 2).mean().backward()
    full = w.grad.clone()
    for divide, factor in ((False, k), (True, 1)):
        w.grad = None
        for x, t in zip(inputs.chunk(k), targets.chunk(k)):
            loss = ((w * x - t) ** 2).mean()
            (loss / k if divide else loss).backward()
        torch.testing.assert_close(w.grad, factor * full)


def test_lectures_04_and_08_say_to_divide_micro_batch_losses_by_k():
    for lecture in ("04_backward.ipynb", "08_training_three_ways.ipynb"):
        assert "Divide each micro-batch loss" in cells(lecture, "markdown"), lecture
    assert "(2.000 times too large)" in shown("04_backward.ipynb")


# 07 and 08: torch.optim.SGD's update rule


def sgd_by_hand(params, grads, buffers, lr, momentum, dampening=0.0, weight_decay=0.0, nesterov=False):
    for i, (p, g) in enumerate(zip(params, grads)):
        g = g + weight_decay * p
        buffers[i] = g.clone() if buffers[i] is None else momentum * buffers[i] + (1 - dampening) * g
        g = g + momentum * buffers[i] if nesterov else buffers[i]
        p -= lr * g


@pytest.mark.parametrize("options", [
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1),
    dict(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    dict(lr=1e-5, momentum=0.8, weight_decay=1e-8, nesterov=True),  # the settings of seed 004
])
def test_sgd_rule_first_step_sets_the_buffer_then_dampening_and_weight_decay(options):
    torch.manual_seed(0)
    A = torch.randn(5, 5, dtype=torch.float64)
    start = torch.randn(5, dtype=torch.float64)
    theirs = start.clone().requires_grad_()
    optimizer = torch.optim.SGD([theirs], **options)
    mine, buffers = start.clone(), [None]
    for _ in range(20):
        optimizer.zero_grad()
        torch.tanh(A @ theirs).pow(2).sum().backward()
        optimizer.step()
        x = mine.clone().requires_grad_()
        (g,) = torch.autograd.grad(torch.tanh(A @ x).pow(2).sum(), x)
        sgd_by_hand([mine], [g], buffers, **options)
        torch.testing.assert_close(mine, theirs.detach(), rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(buffers[0], optimizer.state[theirs]["momentum_buffer"], rtol=1e-12, atol=1e-15)


def test_momentum_is_defined_in_lecture_07_before_lecture_08_plots_it():
    lecture_07 = cells("07_gradient_descent.ipynb", "markdown")
    assert "## Momentum" in lecture_07 and "first step $b \\leftarrow g$" in lecture_07
    assert "\\tau" in cells("08_training_three_ways.ipynb", "markdown")  # the full rule, with dampening


# 05: what gradcheck checks


class WrongScaledSin(torch.autograd.Function):
    """a * sin(x), with the right gradient for x and a wrong one for a."""

    @staticmethod
    def forward(ctx, x, a):
        ctx.save_for_backward(x, a)
        return a * torch.sin(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, a = ctx.saved_tensors
        return grad_output * a * torch.cos(x), (grad_output * torch.cos(x)).sum()


def test_gradcheck_checks_only_inputs_that_require_grad():
    x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    a = torch.tensor(3.0, dtype=torch.float64)
    assert torch.autograd.gradcheck(WrongScaledSin.apply, (x, a), raise_exception=False)
    assert not torch.autograd.gradcheck(WrongScaledSin.apply, (x, a.requires_grad_()), raise_exception=False)


def test_gradcheck_warns_about_float32_and_runs():
    x32 = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        passed = torch.autograd.gradcheck(torch.sin, (x32,), raise_exception=False)
    assert not passed and any(w.category is UserWarning and "double precision" in str(w.message) for w in caught)
    text = everything("05_numeric_vs_autodiff.ipynb")
    assert "Inputs must be float64" not in text and "does not refuse float32" in text


# 03: leaves, flags and modules


def test_an_optimizer_refuses_a_non_leaf():
    w = torch.randn(3, requires_grad=True) * 0.01
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torch.optim.SGD([w], lr=0.1)
    assert "ValueError: can't optimize a non-leaf Tensor" in shown("03_requires_grad_and_grad_fn.ipynb")
    assert "nothing to update it with" not in cells("03_requires_grad_and_grad_fn.ipynb", "markdown")


def test_requires_grad_true_on_a_non_leaf_is_accepted_switching_off_or_assigning_raises():
    y = torch.tensor(3.0, requires_grad=True) * 2
    assert y.requires_grad_(True) is y
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = True


def test_grad_of_a_non_leaf_is_none_with_a_user_warning():
    x = torch.tensor(3.0, requires_grad=True)
    h = x * x
    h.backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert h.grad is None
    assert "UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor" in shown("03_requires_grad_and_grad_fn.ipynb")


def test_a_hook_sees_and_may_replace_the_gradient():
    x = torch.tensor(3.0, requires_grad=True)
    h = x * x
    h.register_hook(lambda grad: 10 * grad)
    (2 * h).backward()
    assert x.grad.item() == 120.0  # 10 * 2 * 2x


def test_a_frozen_parameter_gets_no_gradient_and_the_module_needs_its_init():
    layer = nn.Linear(2, 1)
    layer.weight.requires_grad_(False)
    layer(torch.ones(1, 2)).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad is not None

    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgetful()
    text = cells("03_requires_grad_and_grad_fn.ipynb", "markdown")
    assert "nn.Parameter" in text and "super().__init__()" in text and "Variable" in text


# 04: eval() is not a gradient switch


def test_eval_mode_still_records_the_graph():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5)).eval()
    out = model(torch.ones(1, 3))
    assert out.requires_grad and out.grad_fn is not None
    with torch.no_grad():
        assert not model(torch.ones(1, 3)).requires_grad
    assert "`model.eval()` is not one of these tools" in cells("04_backward.ipynb", "markdown")


# 05: the memory reverse mode pays, and checkpointing


def saved_bytes(compute):
    saved = {}

    def pack(t):
        saved[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = compute()
    return out, sum(saved.values())


def test_checkpointing_saves_less_and_gives_the_same_gradient():
    torch.manual_seed(0)
    x = torch.randn(16, 32, requires_grad=True)

    def layers(h):
        for _ in range(6):
            h = torch.tanh(h * 1.5)
        return h

    plain_out, plain = saved_bytes(lambda: layers(x).sum())
    kept_out, kept = saved_bytes(lambda: checkpoint(layers, x, use_reentrant=False).sum())
    assert plain == 6 * x.numel() * 4 and kept == x.numel() * 4  # six tanh outputs vs the input only
    torch.testing.assert_close(torch.autograd.grad(kept_out, x)[0], torch.autograd.grad(plain_out, x)[0])
    assert "torch.utils.checkpoint" in cells("05_numeric_vs_autodiff.ipynb", "markdown")


# 08: device, noise, mini-batches


def test_lecture_08_compares_curves_with_a_stated_tolerance_and_makes_no_exactness_claims():
    code = cells("08_training_three_ways.ipynb", "code")
    markdown = cells("08_training_three_ways.ipynb", "markdown")
    assert "SAME_CURVE = dict(rtol=" in code
    for call in ("assert_close(losses_autograd, losses_hand", "assert_close(losses_sgd, losses_hand"):
        assert f"{call}, **SAME_CURVE)" in code
    assert "runs on a GPU unchanged" not in markdown and "*exactly* the same thing" not in markdown
    assert "puts a floor under the loss" not in markdown and "on *fresh* data" in markdown
    assert "shuffle" in code and "Mini-batch SGD" in markdown


# 03 and 06: two different graph helpers, two names


def test_the_graph_helpers_have_different_names():
    assert "def print_as_tree(" in cells("03_requires_grad_and_grad_fn.ipynb", "code")
    defining_show_graph = [p.name for p in sorted((ROOT / "course").glob("*.ipynb")) if "def show_graph(" in cells(p.name, "code")]
    assert defining_show_graph == ["06_computation_graphs.ipynb"]
