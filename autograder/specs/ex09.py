"""Exercise 09: softmax, cross-entropy, logits, bag of words and logistic regression."""

import math

from ..spec import AllOf, Assignment, Close, Expectation, Hint, Item, Probe, Reference, Tensor, numeric

INCREASES = ("the loss increases from step to step: the update has the wrong sign. Gradient descent subtracts: "
             "W ← W − lr · W.grad.")
ACCUMULATED = ("the gradients accumulated: .grad was not reset after the update, so each step used the sum of all "
               "earlier gradients. Set W.grad = None and b.grad = None (or zero them) after each update.")
OVERFLOW = ("the result is not finite: exp of a large logit overflows (exp(1000) = inf in any float type). Subtract the "
            "largest logit first (the result does not change), or use a formula that never exponentiates a large positive number.")


def L(*values):
    """A list of numbers written the way probes report one (Close does not read a bare Python list)."""
    return {"type": "list", "items": list(values)}


class NotFinite(Expectation):
    """Numbers among which at least one is nan or ±inf (used to recognise an overflow)."""

    def explain(self, observed, reference=None, reveal=True):
        parsed = numeric(observed)
        if parsed is not None and any(not math.isfinite(x) for x in parsed[1]):
            return None
        return "all finite"


def _tensor(values):
    return "torch.tensor([" + ", ".join(f"{v:.3f}" for v in values) + "])"


def _matrix(rows):
    return "torch.tensor([" + ", ".join("[" + ", ".join(f"{v:.3f}" for v in r) + "]" for r in rows) + "])"


def _logits(rng):
    n, c = rng.randint(1, 5), rng.randint(2, 5)
    scale = rng.choice((1, 10, 300))
    return {"z": _matrix([[rng.gauss(0, scale) for _ in range(c)] for _ in range(n)])}


def _ce(rng):
    n, c = rng.randint(1, 6), rng.randint(2, 5)
    scale = rng.choice((1, 3, 200))
    return {"z": _matrix([[rng.gauss(0, scale) for _ in range(c)] for _ in range(n)]),
            "t": "torch.tensor([" + ", ".join(str(rng.randrange(c)) for _ in range(n)) + "])"}


def _bce(rng):
    n = rng.randint(1, 6)
    scale = rng.choice((1, 5, 150))
    return {"z": _tensor([rng.gauss(0, scale) for _ in range(n)]), "y": _tensor([float(rng.random() < 0.5) for _ in range(n)])}


_WORDS = ("la", "casa", "es", "grande", "the", "house", "is", "big", "no", "idea", "sea", "me", "it", "zebra", "perro", "of")


def _sentence(rng):
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 9))]
    words = [w.upper() if rng.random() < 0.2 else w for w in words]
    return {"s": " ".join(words)}


def _logreg(rng):
    return {"seed": rng.randint(0, 10_000), "lr": round(rng.uniform(0.05, 1.0), 3), "steps": rng.randint(1, 6)}


SPEC = Assignment(
    name="ex09",
    items=(
        Item("q1_log_softmax", points=2, title="A stable log_softmax; NLLLoss after log_softmax is cross-entropy", probes=(
            Probe("[loss_nll, loss_ce]", Close(L(0.500211, 0.500211))),
            Probe("log_softmax_stable(torch.tensor([[1.0, 2.0, 3.0]]))", Close(L(L(-2.407606, -1.407606, -0.407606)))),
            Probe("log_softmax_stable(torch.tensor([[1000.0, 0.0], [0.0, -1000.0]]))", Close(L(L(0.0, -1000.0), L(0.0, -1000.0))),
                  hints=(Hint(NotFinite(), OVERFLOW),)),
            Probe("log_softmax_stable({z})", Reference(), hidden=True, draw=_logits, weight=2, hints=(Hint(NotFinite(), OVERFLOW),)),
        )),
        Item("q2_cross_entropy", points=3, title="Softmax cross-entropy and its gradient, by hand", probes=(
            Probe("cross_entropy_by_hand(Z_demo, t_demo)", Close(0.500211)),
            Probe("(ce_grad(Z_demo, t_demo) / autograd_ce_grad(Z_demo, t_demo)).mean()", Close(1.0), hints=(
                Hint(Close(4.0), "the loss is the mean over the N = 4 examples, so its gradient is divided by N too."),
                Hint(Close(-1.0), "the gradient is softmax(z) − onehot(t), not onehot(t) − softmax(z)."),
            )),
            Probe("(ce_grad(Z_demo, t_demo) - autograd_ce_grad(Z_demo, t_demo)).abs().max()", Close(0.0, rtol=0, atol=1e-6)),
            Probe("cross_entropy_by_hand({z}, {t})", Reference(), hidden=True, draw=_ce, hints=(Hint(NotFinite(), OVERFLOW),)),
            Probe("ce_grad({z}, {t})", Reference(), hidden=True, draw=_ce, weight=2, hints=(Hint(NotFinite(), OVERFLOW),)),
        )),
        Item("q3_bce_logits", points=3, title="Binary cross-entropy from logits, stable", probes=(
            Probe("bce_with_logits(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]))", Close(math.log(2))),
            Probe("bce_with_logits(torch.tensor([-200.0, 200.0]), torch.tensor([1.0, 0.0]))", Close(200.0), hints=(
                Hint(Close(100.0), "sigmoid(−200) is exactly 0 in float32 and binary_cross_entropy clamps log(0) to −100: "
                                   "sigmoid followed by BCE cannot represent this loss. Work with the logit: log(1 + e^(−z)) = softplus(−z)."),
                Hint(NotFinite(), OVERFLOW),
            )),
            Probe("bce_grad(bce_with_logits, torch.tensor([-200.0, 200.0, 1.0]), torch.tensor([1.0, 0.0, 1.0]))",
                  Close(L(-1 / 3, 1 / 3, (1 / (1 + math.exp(-1)) - 1) / 3)), hints=(Hint(NotFinite(), OVERFLOW),)),
            Probe("bce_with_logits({z}, {y})", Reference(), hidden=True, draw=_bce, weight=2, hints=(Hint(NotFinite(), OVERFLOW),)),
            Probe("bce_grad(bce_with_logits, {z}, {y})", Reference(), hidden=True, draw=_bce, weight=2, hints=(Hint(NotFinite(), OVERFLOW),)),
        )),
        Item("q4_bag_of_words", points=2, title="Bag-of-words vectors", probes=(
            Probe("bow_vector('la casa es grande')", AllOf((Tensor(dtype="float", shape=(29,)),))),
            Probe("bow_vector('The house is big and the house is old')[[vocab['the'], vocab['house'], vocab['is'], vocab['big']]]",
                  Close(L(2.0, 2.0, 2.0, 1.0)), hints=(
                      Hint(Close(L(1.0, 2.0, 2.0, 1.0)), "'The' and 'the' are the same word: lowercase the sentence first."),
                      Hint(Close(L(1.0, 1.0, 1.0, 1.0)), "count every occurrence of a word, not only whether it occurs."),
                  )),
            Probe("bow_vector('xyz unknown words').sum()", Close(0.0)),
            Probe("bow_vector('{s}')", Reference(), hidden=True, draw=_sentence, weight=2),
        )),
        Item("q5_logreg_step", points=3, title="A training step for logistic regression", probes=(
            Probe("run_logreg(logreg_step, 0, 0.5, 4)[0]", Close(L(0.568365, 0.410018, 0.315556, 0.254457)), hints=(
                Hint(Close(L(0.568365, 0.770336, 1.081567, 1.542616)), INCREASES),
                Hint(Close(L(0.568365, 0.410018, 0.223192, 0.102028)), ACCUMULATED),
            )),
            Probe("run_logreg(logreg_step, 0, 0.5, 4)[1]", Tensor(dtype="float", shape=(2, 29), requires_grad=True, is_leaf=True)),
            Probe("run_logreg(logreg_step, {seed}, {lr}, {steps})[0]", Reference(), hidden=True, draw=_logreg),
            Probe("run_logreg(logreg_step, {seed}, {lr}, {steps})[1]", Reference(), hidden=True, draw=_logreg),
            Probe("run_logreg(logreg_step, {seed}, {lr}, {steps})[2]", Reference(), hidden=True, draw=_logreg),
        )),
    ),
)
