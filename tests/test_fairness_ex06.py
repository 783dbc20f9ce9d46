"""Exercise 06: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests, grade_variant

NAIVE_WALK = """
def node_names(t):
    names, stack = [], [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        names.append(type(node).__name__)
        stack.extend(n for n, _ in node.next_functions)
    return sorted(names)
"""

CORRECT = {
    "paths as tensors, autograd.grad, float64": {"q1_answer": (
        "def path_products(u0, v0):\n    u, v = torch.tensor(u0, dtype=torch.float64), torch.tensor(v0, dtype=torch.float64)\n"
        "    x, y = u + v, u - v\n    return (y, x), [y, -x]\n"
        "u = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)\nv = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)\n"
        "auto_du, auto_dv = torch.autograd.grad((u + v) * (u - v), (u, v))\nprint(auto_du, auto_dv)")},
    "paths with retain_graph and .item()": {"q1_answer": (
        "def path_products(u0, v0):\n    x0 = u0 + v0\n    y0 = u0 - v0\n    dz_dx, dz_dy = y0, x0\n    return [dz_dx * 1, dz_dy * 1], [dz_dx * 1, dz_dy * (-1)]\n"
        "u = torch.tensor(3.0, requires_grad=True)\nv = torch.tensor(2.0, requires_grad=True)\nz = (u + v) * (u - v)\n"
        "z.backward(retain_graph=True)\nauto_du = u.grad.item()\nauto_dv = v.grad.item()\nimport warnings; warnings.warn('a warning')")},
    "recursive walk with a visited set": {"q2_answer": (
        "def node_names(t):\n    seen = []\n    def visit(node):\n        if node is None or any(node is s for s in seen):\n            return\n"
        "        seen.append(node)\n        for n, _ in node.next_functions:\n            visit(n)\n    visit(t.grad_fn)\n    return sorted([type(n).__name__ for n in seen])")},
    "counting paths without memo, nodes via a set": {"q3_answer": (
        "def count_nodes(t):\n    seen, todo = set(), [t.grad_fn]\n    while todo:\n        n = todo.pop()\n        if n is not None and n not in seen:\n"
        "            seen.add(n)\n            todo += [m for m, _ in n.next_functions]\n    return len(seen)\n"
        "def count_paths(t):\n    def p(n):\n        if not n.next_functions:\n            return 1\n        return sum(p(m) for m, _ in n.next_functions if m is not None)\n    return p(t.grad_fn)")},
    "sigmoid in its stable two-branch form": {"q4_answer": (
        "def sigmoid(self):\n    a = self.data\n    s = 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))\n"
        "    out = Value(s, (self,))\n    def _backward():\n        self.grad = self.grad + out.data * (1 - out.data) * out.grad\n"
        "    out._backward = _backward\n    return out\n\nValue.sigmoid = sigmoid")},
    "division with reciprocal node": {"q5_answer": (
        "def truediv(self, other):\n    other = other if isinstance(other, Value) else Value(other)\n"
        "    inv = Value(1.0 / other.data, (other,))\n    def _inv_backward():\n        other.grad += -(1.0 / other.data**2) * inv.grad\n"
        "    inv._backward = _inv_backward\n    return self * inv\n\nValue.__truediv__ = truediv")},
}

WRONG = {
    "forgot the minus sign on v -> y": ({"q1_answer": "def path_products(u0, v0):\n    return [u0 - v0, u0 + v0], [u0 - v0, u0 + v0]\nauto_du, auto_dv = 6.0, -4.0"}, "q1_path_sum", "−1"),
    "backward twice": ({"q1_answer": (
        "def path_products(u0, v0):\n    return [u0 - v0, u0 + v0], [u0 - v0, -(u0 + v0)]\n"
        "u = torch.tensor(3.0, requires_grad=True)\nv = torch.tensor(2.0, requires_grad=True)\nz = (u + v) * (u - v)\n"
        "z.backward(retain_graph=True)\nz.backward()\nauto_du, auto_dv = u.grad, v.grad")}, "q1_path_sum", "backward() ran twice"),
    "no visited set": ({"q2_answer": NAIVE_WALK}, "q2_node_names", "visited"),
    "leaves left out": ({"q2_answer": NAIVE_WALK.replace("names.append(type(node).__name__)", "names += [] if type(node).__name__ == 'AccumulateGrad' else [type(node).__name__]").replace("sorted(names)", "sorted(set(names))")}, "q2_node_names", "AccumulateGrad"),
    "counting nodes once per path": ({"q3_answer": (
        "def count_nodes(t):\n    def c(n):\n        return 1 + sum(c(m) for m, _ in n.next_functions if m is not None)\n    return c(t.grad_fn)\n"
        "def count_paths(t):\n    def p(n):\n        if not n.next_functions:\n            return 1\n        return sum(p(m) for m, _ in n.next_functions if m is not None)\n    return p(t.grad_fn)")}, "q3_nodes_vs_paths", "visited"),
    "count_paths counts None entries as path ends": ({"q3_answer": (
        "def count_nodes(t):\n    seen, todo = set(), [t.grad_fn]\n    while todo:\n        n = todo.pop()\n        if n is not None and n not in seen:\n"
        "            seen.add(n)\n            todo += [m for m, _ in n.next_functions]\n    return len(seen)\n"
        "def count_paths(t):\n    def p(n):\n        if n is None or not n.next_functions:\n            return 1\n"
        "        return sum(p(m) for m, _ in n.next_functions)\n    return p(t.grad_fn)")}, "q3_nodes_vs_paths", "None entry"),
    "sigmoid node built without its input": ({"q4_answer": (
        "def sigmoid(self):\n    s = 1 / (1 + math.exp(-self.data))\n    out = Value(s)\n    def _backward():\n        self.grad += s * (1 - s) * out.grad\n"
        "    out._backward = _backward\n    return out\n\nValue.sigmoid = sigmoid")}, "q4_value_sigmoid", "does not list its input"),
    "sigmoid overwrites grad": ({"q4_answer": (
        "def sigmoid(self):\n    s = 1 / (1 + math.exp(-self.data))\n    out = Value(s, (self,))\n    def _backward():\n        self.grad = s * (1 - s) * out.grad\n"
        "    out._backward = _backward\n    return out\n\nValue.sigmoid = sigmoid")}, "q4_value_sigmoid", "self.grad +="),
    "division with the wrong sign": ({"q5_answer": (
        "def truediv(self, other):\n    other = other if isinstance(other, Value) else Value(other)\n    out = Value(self.data / other.data, (self, other))\n"
        "    def _backward():\n        self.grad += out.grad / other.data\n        other.grad += self.data / other.data**2 * out.grad\n"
        "    out._backward = _backward\n    return out\n\nValue.__truediv__ = truediv")}, "q5_value_div", "−a/b²"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex06", CORRECT, WRONG, seed=11)


def test_hard_coded_answers_lose_the_hidden_probes():
    results = grade_variant("ex06", {"q1_answer": "def path_products(u0, v0):\n    return [1.0, 5.0], [1.0, -5.0]\nauto_du, auto_dv = 6.0, -4.0"}, seed=2)
    assert results["q1_path_sum"].score < results["q1_path_sum"].points
