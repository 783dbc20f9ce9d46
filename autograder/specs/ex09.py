"""Exercise 09: softmax, cross-entropy, logits, bag of words and logistic regression."""

import math

from ..spec import AllOf, Assignment, Close, Equal, Expectation, Hint, Item, Probe, Raised, Reference, Tensor, numeric
from .evidence import ANY, L

INCREASES = ("the loss increases from step to step: the update has the wrong sign. Gradient descent subtracts: "
             "W ← W − lr · W.grad.")
ACCUMULATED = ("the gradients accumulated: .grad was not reset after the update, so each step used the sum of all "
               "earlier gradients. Set W.grad = None and b.grad = None (or zero them) after each update.")
OVERFLOW = ("the result is not finite: exp of a large logit overflows (exp(1000) = inf in any float type), and the "
            "sigmoid or softmax of a very negative logit rounds to 0, whose log is −inf. Subtract the largest logit first "
            "(the result does not change), or use a formula that never exponentiates a large positive number (softplus).")
# Library functions each by-hand answer must do without; the checks switch them off (see `outcome` in the notebook).
LOG_SOFTMAX_LIBRARY = ("torch.log_softmax", "torch.softmax", "torch.logsumexp", "torch.Tensor.log_softmax", "torch.Tensor.softmax",
                       "torch.Tensor.logsumexp", "torch.nn.functional.log_softmax", "torch.nn.functional.softmax",
                       "torch.nn.functional.softmin", "torch.special.log_softmax", "torch.special.softmax", "torch.special.logsumexp")
CE_LIBRARY = ("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss")
BCE_LIBRARY = ("torch.nn.functional.binary_cross_entropy_with_logits", "torch.binary_cross_entropy_with_logits")
LIBRARY = "{} called a library function this item asks you to do without (the error names it): write the formula yourself."
USED_AUTOGRAD = ("ce_grad called autograd (backward(), torch.autograd.grad, or autograd_ce_grad, which uses it): with "
                 "autograd switched off it fails. Derive ∂L/∂z by hand: (softmax(z) − onehot(t)) / N.")
ONE_HOT = ("on a batch whose targets do not include the last class the shapes do not match: F.one_hot(targets) makes "
           "only max(targets) + 1 columns. Pass the number of classes: F.one_hot(targets, num_classes=logits.shape[1]).")


class NotFinite(Expectation):
    """Numbers among which at least one is nan or ±inf (used to recognise an overflow)."""

    def explain(self, observed, reference=None, reveal=True):
        parsed = numeric(observed)
        if parsed is not None and any(not math.isfinite(x) for x in parsed[1]):
            return None
        return "all finite"


def _forbidding(names):
    return "(" + ", ".join(repr(n) for n in names) + ",)"


def _tensor(values):
    return "torch.tensor([" + ", ".join(f"{v:.3f}" for v in values) + "], dtype=torch.float32)"


def _matrix(rows):
    return "torch.tensor([" + ", ".join("[" + ", ".join(f"{v:.3f}" for v in r) + "]" for r in rows) + "], dtype=torch.float32)"


def _logits(rng):
    """Typical logits and the edge cases of the lecture: very large, very negative, exactly 0, a single class."""
    n, c = rng.randint(1, 5), rng.randint(2, 5)
    return [{"z": _matrix([[rng.gauss(0, 3) for _ in range(c)] for _ in range(n)]), "_label": "typical logits"},
            {"z": _matrix([[rng.uniform(500, 900), rng.gauss(0, 3), rng.uniform(-900, -500)]]), "_label": "very large logits"},
            {"z": _matrix([[rng.uniform(-1200, -1000) for _ in range(c)]]), "_label": "logits that are all very negative"},
            {"z": f"torch.zeros({n}, {c}, dtype=torch.float32)", "_label": "logits that are exactly 0"},
            {"z": _matrix([[rng.gauss(0, 3)] for _ in range(n)]), "_label": "a single class"}]


def _targets(rng, n, c):
    return "torch.tensor([" + ", ".join(str(rng.randrange(c)) for _ in range(n)) + "])"


def _ce(rng):
    """Typical batches, and the edge cases: large logits, one example, logits of 0, the last class absent."""
    n, c = rng.randint(2, 6), rng.randint(2, 5)
    return [{"z": _matrix([[rng.gauss(0, 3) for _ in range(c)] for _ in range(n)]), "t": _targets(rng, n, c), "_label": "a typical batch"},
            {"z": _matrix([[rng.gauss(0, 200) for _ in range(c)] for _ in range(n)]), "t": _targets(rng, n, c), "_label": "very large logits"},
            {"z": _matrix([[rng.gauss(0, 3) for _ in range(c)]]), "t": _targets(rng, 1, c), "_label": "a batch of one example"},
            {"z": f"torch.zeros({n}, {c}, dtype=torch.float32)", "t": _targets(rng, n, c), "_label": "logits that are exactly 0"},
            {"z": _matrix([[rng.gauss(0, 3) for _ in range(c + 1)] for _ in range(n)]), "t": _targets(rng, n, c),
             "_label": "a batch where the last class is absent"}]


def _bce(rng):
    """Typical logits, very large ones of both signs, logits of exactly 0, and one element."""
    n = rng.randint(2, 6)
    labels = [float(rng.random() < 0.5) for _ in range(n)]
    return [{"z": _tensor([rng.gauss(0, 2) for _ in range(n)]), "y": _tensor(labels), "_label": "typical logits"},
            {"z": _tensor([rng.choice((-1, 1)) * rng.uniform(100, 300) for _ in range(n)]), "y": _tensor(labels), "_label": "very large logits"},
            {"z": f"torch.zeros({n}, dtype=torch.float32)", "y": _tensor(labels), "_label": "logits that are exactly 0"},
            {"z": _tensor([rng.gauss(0, 2)]), "y": _tensor([float(rng.random() < 0.5)]), "_label": "a single element"}]


def _bce_away_from_0(rng):
    return [case for case in _bce(rng) if "zeros" not in case["z"]]


_WORDS = ("la", "casa", "es", "grande", "the", "house", "is", "big", "no", "idea", "sea", "me", "it", "zebra", "perro", "of")


def _sentence(rng):
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 9))]
    words = [w.upper() if rng.random() < 0.2 else w for w in words]
    spaced = "".join(w + rng.choice((" ", "  ", "\\t", "\\n")) for w in words)
    return [{"s": " ".join(words), "_label": "a sentence of known and unknown words"},
            {"s": spaced, "_label": "words separated by tabs, line breaks and double spaces"},
            {"s": "", "_label": "an empty sentence"}]


def _logreg(rng):
    return {"seed": rng.randint(0, 10_000), "lr": round(rng.uniform(0.05, 1.0), 3), "steps": rng.randint(1, 6), "_label": "fresh weights"}


_LS = _forbidding(LOG_SOFTMAX_LIBRARY)
_CE = _forbidding(CE_LIBRARY)
_BCE = _forbidding(BCE_LIBRARY)
_NO_LOG_SOFTMAX = Hint(Raised("RuntimeError", "not allowed"), LIBRARY.format("log_softmax_stable"))
_NO_CE = Hint(Raised("RuntimeError", "not allowed"), LIBRARY.format("cross_entropy_by_hand"))
_NO_BCE = Hint(Raised("RuntimeError", "not allowed"), LIBRARY.format("bce_with_logits"))
_CE_GRAD_HINTS = (Hint(Raised("RuntimeError", "must match"), ONE_HOT), Hint(Raised("RuntimeError", "not allowed"), USED_AUTOGRAD),
                  Hint(Raised("RuntimeError", "does not require grad"), USED_AUTOGRAD), Hint(NotFinite(), OVERFLOW))
_ABSENT = "torch.tensor([0, 1, 1, 0])"  # targets of Z_demo (3 classes) without the last class

SPEC = Assignment(
    name="ex09",
    items=(
        Item("q1_log_softmax", points=2, title="A stable log_softmax; NLLLoss after log_softmax is cross-entropy", probes=(
            Probe("[loss_nll, loss_ce]", Close(L(0.500211, 0.500211)), label="loss_nll and loss_ce on Z_demo", hints=(
                Hint(Close(L(-0.649268, 0.500211)), "loss_nll is negative: NLLLoss got probabilities (softmax), but it expects "
                                                    "log-probabilities. Apply F.log_softmax, not softmax."),
                Hint(Close(L(-1.95, 0.500211)), "loss_nll equals minus the mean target logit: NLLLoss got the raw logits. Apply "
                                                "F.log_softmax(Z_demo, dim=1) first."),
            )),
            Probe("log_softmax_stable(torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float32))", Close(L(L(-2.407606, -1.407606, -0.407606))),
                  label="log_softmax_stable of one row [1, 2, 3]", hints=(
                      Hint(Close(L(L(0.0, 0.0, 0.0))), "every entry is 0: the sum ran over dim 0 (the rows), so each entry was "
                                                       "normalised on its own. Normalise each row: sum over the last dimension (dim=-1)."),
                      Hint(Close(L(L(-2.0, -1.0, 0.0))), "the result is z − max(z): after the shift, subtract log Σ exp(z − max) as well."),
                  )),
            Probe("log_softmax_stable(torch.tensor([[1000.0, 0.0], [0.0, -1000.0]], dtype=torch.float32))",
                  Close(L(L(0.0, -1000.0), L(0.0, -1000.0))), label="logits of ±1000", hints=(Hint(NotFinite(), OVERFLOW),)),
            Probe(f"outcome(log_softmax_stable, torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float32), forbidden={_LS})", Reference(),
                  label="log_softmax_stable with the library softmax functions switched off", hints=(_NO_LOG_SOFTMAX,)),
            Probe(f"outcome(log_softmax_stable, {{z}}, forbidden={_LS})", Reference(), hidden=True, draw=_logits, weight=2,
                  hints=(Hint(NotFinite(), OVERFLOW), _NO_LOG_SOFTMAX)),
        )),
        Item("q2_cross_entropy", points=3, title="Softmax cross-entropy and its gradient, by hand", probes=(
            Probe("cross_entropy_by_hand(Z_demo, t_demo)", Close(0.500211), label="cross_entropy_by_hand(Z_demo, t_demo)", hints=(
                Hint(Close(2.000844), "the result is N = 4 times the mean: cross-entropy averages over the examples (.mean(), not .sum())."),
                Hint(Close(-0.500211), "the result has the wrong sign: the loss is −log softmax(z)[t], a positive number."),
            )),
            Probe("(ce_grad(Z_demo, t_demo) / autograd_ce_grad(Z_demo, t_demo)).mean()", Close(1.0),
                  label="ce_grad as a multiple of autograd's gradient", hints=(
                      Hint(Close(4.0), "the loss is the mean over the N = 4 examples, so its gradient is divided by N too."),
                      Hint(Close(-1.0), "the gradient is softmax(z) − onehot(t), not onehot(t) − softmax(z)."),
                  )),
            Probe("(ce_grad(Z_demo, t_demo) - autograd_ce_grad(Z_demo, t_demo)).abs().max()", Close(0.0, rtol=0, atol=1e-6),
                  label="largest difference from autograd on Z_demo"),
            Probe(f"outcome(ce_grad, Z_demo, {_ABSENT}, autograd=False)", Reference(), label="ce_grad on a batch without the last class",
                  hints=_CE_GRAD_HINTS),
            Probe(f"outcome(cross_entropy_by_hand, {{z}}, {{t}}, forbidden={_CE})", Reference(), hidden=True, draw=_ce,
                  hints=(Hint(NotFinite(), OVERFLOW), _NO_CE)),
            Probe("outcome(ce_grad, {z}, {t}, autograd=False)", Reference(), hidden=True, draw=_ce, weight=2, hints=_CE_GRAD_HINTS),
        )),
        Item("q3_bce_logits", points=3, title="Binary cross-entropy from logits, stable", probes=(
            Probe("bce_with_logits(torch.tensor([0.0, 0.0], dtype=torch.float32), torch.tensor([1.0, 0.0], dtype=torch.float32))",
                  Close(math.log(2)), label="logits of exactly 0", hints=(
                      Hint(Close(2 * math.log(2)), "the result is twice log 2: the loss is the mean over the elements, not the sum."),
                  )),
            Probe("bce_with_logits(torch.tensor([-200.0, 200.0], dtype=torch.float32), torch.tensor([1.0, 0.0], dtype=torch.float32))",
                  Close(200.0), label="logits of ∓200 with labels 1, 0", hints=(
                      Hint(Close(100.0), "sigmoid(−200) is exactly 0 in float32 and binary_cross_entropy clamps log(0) to −100: "
                                         "sigmoid followed by BCE cannot represent this loss. Work with the logit: log(1 + e^(−z)) = softplus(−z)."),
                      Hint(NotFinite(), OVERFLOW),
                  )),
            Probe("bce_grad(bce_with_logits, torch.tensor([-200.0, 200.0, 1.0], dtype=torch.float32), torch.tensor([1.0, 0.0, 1.0], dtype=torch.float32))",
                  Close(L(-1 / 3, 1 / 3, (1 / (1 + math.exp(-1)) - 1) / 3)), label="the gradient at logits −200, 200, 1",
                  hints=(Hint(NotFinite(), OVERFLOW),)),
            Probe(f"outcome(bce_with_logits, torch.tensor([0.5, -1.0], dtype=torch.float32), torch.tensor([1.0, 0.0], dtype=torch.float32), "
                  f"forbidden={_BCE})", Reference(), label="bce_with_logits with the library BCE switched off", hints=(_NO_BCE,)),
            Probe(f"outcome(bce_with_logits, {{z}}, {{y}}, forbidden={_BCE})", Reference(), hidden=True, draw=_bce, weight=2,
                  hints=(Hint(NotFinite(), OVERFLOW), _NO_BCE)),
            # Not at a logit of exactly 0: max(z, 0) and |z| have kinks there, and the one-sided slope autograd takes
            # is a legitimate choice for the textbook stable formula max(z, 0) − zy + log(1 + e^(−|z|)).
            Probe(f"outcome(bce_grad, bce_with_logits, {{z}}, {{y}}, forbidden={_BCE})", Reference(), hidden=True, draw=_bce_away_from_0, weight=2,
                  hints=(Hint(NotFinite(), OVERFLOW), _NO_BCE)),
        )),
        Item("q4_bag_of_words", points=2, title="Bag-of-words vectors", probes=(
            Probe("bow_vector('la casa es grande')", AllOf((Tensor(dtype="float", shape=(29,)),)), label="a float tensor of 29 counts"),
            Probe("bow_vector('The house is big and the house is old')[[vocab['the'], vocab['house'], vocab['is'], vocab['big']]]",
                  Close(L(2.0, 2.0, 2.0, 1.0)), label="the counts of 'the', 'house', 'is', 'big'", hints=(
                      Hint(Close(L(1.0, 2.0, 2.0, 1.0)), "'The' and 'the' are the same word: lowercase the sentence first."),
                      Hint(Close(L(1.0, 1.0, 1.0, 1.0)), "count every occurrence of a word, not only whether it occurs."),
                  )),
            Probe("bow_vector('la  casa\\tes\\ngrande')[[vocab['la'], vocab['casa'], vocab['es'], vocab['grande']]]",
                  Close(L(1.0, 1.0, 1.0, 1.0)), label="words separated by a double space, a tab and a line break", hints=(
                      Hint(Close(L(1.0, 0.0, 0.0, 0.0)), "split on any whitespace with sentence.split() (no argument): split(' ') keeps "
                                                         "tabs and line breaks inside the words and makes empty words of double spaces."),
                  )),
            Probe("bow_vector('xyz unknown words').sum()", Close(0.0), label="a sentence of unknown words"),
            Probe("bow_vector('{s}')", Reference(), hidden=True, draw=_sentence, weight=2),
        )),
        Item("q5_logreg_step", points=3, title="A training step for logistic regression", probes=(
            Probe("run_logreg(logreg_step, 0, 0.5, 4)[0]", Close(L(0.568365, 0.410018, 0.315556, 0.254457)), label="the first 4 losses", hints=(
                Hint(Close(L(0.568365, 0.770336, 1.081567, 1.542616)), INCREASES),
                Hint(Close(L(0.568365, 0.410018, 0.223192, 0.102028)), ACCUMULATED),
                Hint(Close(L(0.626300, 0.581217, 0.543722, 0.513186)), "the losses match cross-entropy applied to softmax(scores): "
                     "F.cross_entropy (like NLL of log_softmax) takes the raw scores and applies log-softmax itself."),
                Hint(Close(L(3.410188, 0.465488, 0.289486, 0.224769)), "the losses match the sum over the 6 examples, not the mean: "
                     "use the mean (the default reduction of F.cross_entropy)."),
            )),
            Probe("run_logreg(logreg_step, 0, 0.5, 4)[1]", Tensor(dtype="float", shape=(2, 29), requires_grad=True, is_leaf=True),
                  label="W after 4 steps: a leaf that requires grad"),
            Probe("[p.grad is None or bool((p.grad == 0).all()) for p in run_logreg(logreg_step, 0, 0.5, 2)[1:]]", Equal([True, True]),
                  label="W.grad and b.grad are reset after a step", hints=(
                      Hint(ANY, "after a step W.grad or b.grad still holds the gradient: reset both (W.grad = None, b.grad = None)."),
                  )),
            Probe("[type(l).__name__ for l in run_logreg(logreg_step, 0, 0.5, 2)[0]]", Equal(["float", "float"]),
                  label="the losses are Python floats", hints=(Hint(ANY, "return the loss as a Python float (loss.item()), not a tensor."),)),
            Probe("run_logreg(logreg_step, {seed}, {lr}, {steps})[0]", Reference(), hidden=True, draw=_logreg),
            Probe("run_logreg(logreg_step, {seed}, {lr}, {steps})[1]", Reference(), hidden=True, draw=_logreg),
            Probe("run_logreg(logreg_step, {seed}, {lr}, {steps})[2]", Reference(), hidden=True, draw=_logreg),
        )),
    ),
)
