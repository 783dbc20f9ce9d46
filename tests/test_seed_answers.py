"""The seed material's answers, recomputed here with torch, and shown by the lectures that teach them.

Each value is computed independently of the notebooks; the lecture's stored output must show it
(and the stored outputs are re-derived by test_lectures), so a lecture cannot drift from the truth.
"""

import math
from pathlib import Path

import pytest
import torch

from autograder.course import notebook

ROOT = Path(__file__).resolve().parents[1]


def grad(f, *values):
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    f(*xs).backward()
    return [x.grad.tolist() for x in xs]


def shown(lecture: str) -> str:
    nb = notebook.read(ROOT / "course" / lecture)
    return "\n".join(t for c in nb.cells if c.cell_type == "code" for t in notebook.text_outputs(c))


def test_mean_of_3_times_x_plus_2_squared_gives_4_5():
    x = torch.ones(2, 2, requires_grad=True)
    (3 * (x + 2) ** 2).mean().backward()
    assert torch.equal(x.grad, torch.full((2, 2), 4.5))
    assert "4.5" in shown("01_first_steps.ipynb")


@pytest.mark.parametrize("f, x0, expected, lecture", [
    (lambda x: x**2 + 1, 3.0, 6.0, "01_first_steps.ipynb"),
    (lambda x: x**2 + 4 * x + 3, 2.0, 8.0, "01_first_steps.ipynb"),
    (lambda x: x**2 + 2 * x + 1, 3.0, 8.0, "04_backward.ipynb"),
])
def test_scalar_derivatives(f, x0, expected, lecture):
    assert grad(f, x0) == [expected]
    assert f"{expected}" in shown(lecture)


def test_gradient_of_sum_of_squares_at_1_2_3():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert "2., 4., 6." in shown("04_backward.ipynb")


def test_gradient_of_the_quadratic_form_is_w_plus_w_transpose_times_x():
    W = torch.tensor([[1.0, 2.0], [2.0, 1.0]])
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x @ W @ x).backward()
    assert x.grad.tolist() == [10.0, 8.0] == ((W + W.T) @ x.detach()).tolist()
    assert "10.,  8." in shown("04_backward.ipynb")


def test_seed_002_example_1():
    (value,) = grad(lambda x: torch.sin((x + 2) + (1 + torch.exp(x**2))), 2.0)
    assert value == pytest.approx(-218.46, abs=0.01)
    assert "-218.46" in shown("06_computation_graphs.ipynb")


def test_minimum_of_the_difficult_function():
    def f(x):
        return -torch.log(1 / (1 + torch.exp(-x)) + 1) / (x**2 + 1)

    grid = torch.linspace(-3, 3, 600_001, dtype=torch.float64)
    values = f(grid)
    best = int(values.argmin())
    assert values[best].item() == pytest.approx(-0.42134, abs=1e-5)
    assert grid[best].item() == pytest.approx(0.19, abs=0.005)
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)  # gradient descent finds it too
    for _ in range(2000):
        f(x).backward()
        with torch.no_grad():
            x -= 0.5 * x.grad
        x.grad = None
    assert x.item() == pytest.approx(grid[best].item(), abs=1e-4) and not math.isnan(x.item())
    text = shown("07_gradient_descent.ipynb")
    assert "0.42134" in text and "0.19" in text
