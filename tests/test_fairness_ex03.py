"""Exercise 03: valid alternatives keep every point; common mistakes lose the item with a named hint."""

import pytest
from fairness import corpus_tests, grade_variant

WALK = ("def grad_fn_names(t):\n    out, node = [], t.grad_fn\n    while node:\n        out.append(type(node).__name__)\n"
        "        nxt = [f for f, _ in node.next_functions if f]\n        node = nxt[0] if nxt else None\n    return out")

CORRECT = {
    "float64 and requires_grad_": {"q1_answer": "x_s = torch.tensor(3, dtype=torch.float64).requires_grad_()\n"
                                   "x_v = torch.arange(3.0, 6.0).requires_grad_(True)\nx_m = torch.arange(3.0, 9.0).reshape(2, 3).detach().requires_grad_()"},
    "exception kept with sys": {"q2_answer": "import sys\ntry:\n    torch.tensor(3).requires_grad_()\nexcept RuntimeError:\n    int_error = sys.exc_info()[1]\n"
                                "x_fixed = torch.tensor(3, dtype=torch.float32, requires_grad=True)"},
    "chain computed, as a tuple": {"q3_answer":
                                   "n, names = out.grad_fn, []\nwhile n is not None:\n    names.append(type(n).__name__)\n"
                                   "    n = next((f for f, _ in n.next_functions if f is not None), None)\nchain_names = tuple(names)"},
    "recursive walk with name()": {"q4_answer": "def grad_fn_names(t):\n    def walk(node):\n        if node is None:\n            return []\n"
                                   "        for f, _ in node.next_functions:\n            if f is not None:\n                return [type(node).__name__] + walk(f)\n"
                                   "        return [type(node).__name__]\n    return walk(t.grad_fn)"},
    "loop with truthiness tests": {"q4_answer": WALK},
    "leaf table computed": {"q5_answer": "leaf_table = {k: (globals()[k].is_leaf, globals()[k].requires_grad) for k in ['p_w', 'p_c', 'p_h', 'p_d', 'p_m', 'p_n']}"},
    "leaf table as lists of ints": {"q5_answer": "leaf_table = dict(p_w=[1, 1], p_c=[1, 0], p_h=[0, 1], p_d=[1, 0], p_m=[1, 1], p_n=[0, 1])"},
    "detach then requires_grad, autograd.grad": {"q6_answer": "W = (torch.randn(4, 3, dtype=torch.float64) * 0.1).detach().requires_grad_(True)\n"
                                                 "loss_w = (W * W).sum()\n(W.grad,) = torch.autograd.grad(loss_w, W)"},
    "torch.no_grad init": {"q6_answer": "W = torch.empty(4, 3)\nwith torch.no_grad():\n    W.normal_(0, 0.1)\nW.requires_grad_()\nloss_w = W.pow(2).sum()\nloss_w.backward(retain_graph=True)"},
    "detach via a temporary": {"q7_answer": "x_d = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)\nconst = x_d.detach().clone()\nq_d = x_d * x_d * const\nq_d.backward()\nprint(x_d.grad)"},
}

WRONG = {
    "chain missing AccumulateGrad": ({"q3_answer": "chain_names = ['MeanBackward0', 'SubBackward0', 'MulBackward0', 'SinBackward0']"}, "q3_predict_chain", "AccumulateGrad"),
    "chain reversed": ({"q3_answer": "chain_names = ['AccumulateGrad', 'SinBackward0', 'MulBackward0', 'SubBackward0', 'MeanBackward0']"}, "q3_predict_chain", "starts at the output"),
    "walk stops at None": ({"q4_answer": "def grad_fn_names(t):\n    out, node = [], t.grad_fn\n    while node is not None:\n        out.append(type(node).__name__)\n"
                            "        node = node.next_functions[0][0] if node.next_functions else None\n    return out"}, "q4_grad_fn_names", "skip it"),
    "leaf counted": ({"q4_answer": "def grad_fn_names(t):\n    if t.grad_fn is None:\n        return ['AccumulateGrad']\n" + WALK.split(":\n", 1)[1].replace("\n    ", "\n    ", 0)}, "q4_grad_fn_names", "empty"),
    "node.name() spelling": ({"q4_answer": WALK.replace("type(node).__name__", "node.name()")}, "q4_grad_fn_names", "type(node).__name__"),
    "times 1.0 thought a leaf": ({"q5_answer": "leaf_table = dict(p_w=(True, True), p_c=(True, False), p_h=(False, True), p_d=(True, False), p_m=(True, True), p_n=(True, True))"}, "q5_leaves", "still an operation"),
    "detach thought to keep the graph": ({"q5_answer": "leaf_table = dict(p_w=(True, True), p_c=(True, False), p_h=(False, True), p_d=(False, True), p_m=(True, True), p_n=(False, True))"}, "q5_leaves", "cut off from the graph"),
    "scaled after requires_grad": ({"q6_answer": "W = torch.randn(4, 3, requires_grad=True) * 0.1\nloss_w = (W ** 2).sum()\nloss_w.backward()"}, "q6_requires_grad_", "not a leaf"),
    "backward twice": ({"q6_answer": "W = (0.1 * torch.randn(4, 3)).requires_grad_()\nloss_w = (W ** 2).sum()\nloss_w.backward(retain_graph=True)\nloss_w.backward()"}, "q6_requires_grad_", "accumulated"),
    "no backward": ({"q6_answer": "W = (0.1 * torch.randn(4, 3)).requires_grad_()\nloss_w = (W ** 2).sum()"}, "q6_requires_grad_", "no backward() reached"),
    "not scaled": ({"q6_answer": "W = torch.randn(4, 3).requires_grad_()\nloss_w = (W ** 2).sum()\nloss_w.backward()"}, "q6_requires_grad_", "scale them by 0.1"),
    "walk counts None as an end": ({"q4_answer": "def grad_fn_names(t):\n    out, node = [], t.grad_fn\n    while node is not None:\n        out.append(type(node).__name__)\n"
                                    "        node = node.next_functions[0][0] if node.next_functions else None\n    return out"}, "q4_grad_fn_names", "skip it"),
    "forgot detach": ({"q7_answer": "x_d = torch.tensor(2.0, requires_grad=True)\nq_d = x_d ** 2 * x_d\nq_d.backward()"}, "q7_detach", "all three factors"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex03", CORRECT, WRONG, seed=7)


@pytest.mark.parametrize("seed", range(8))
def test_hidden_probes_pass_for_the_solution_and_an_alternative_on_many_draws(seed):
    for replacements in ({}, {"q4_answer": WALK}):
        results = grade_variant("ex03", replacements, seed=seed)
        assert all(r.passed for r in results.values())


def test_the_walk_that_ignores_none_fails_some_hidden_draws():
    wrong = ("def grad_fn_names(t):\n    out, node = [], t.grad_fn\n    while node is not None:\n        out.append(type(node).__name__)\n"
             "        node = node.next_functions[0][0] if node.next_functions else None\n    return out")
    scores = [grade_variant("ex03", {"q4_answer": wrong}, seed=s)["q4_grad_fn_names"] for s in range(4)]
    assert all(r.score < r.points for r in scores)
