"""Realistic wrong answers to exercise 09, written from the questions."""

from tests.mistakes import Mistake

BASE_Q1 = "loss_nll = nn.NLLLoss()(F.log_softmax(Z_demo, dim=1), t_demo)\nloss_ce = F.cross_entropy(Z_demo, t_demo)\n"
STABLE = ("def log_softmax_stable(z):\n    m = z.max(dim=-1, keepdim=True).values\n"
          "    return z - m - torch.log(torch.exp(z - m).sum(dim=-1, keepdim=True))\n")
CE = "def cross_entropy_by_hand(logits, targets):\n    {ce}\n"
GOOD_CE = "return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].mean()"
GRAD = "def ce_grad(logits, targets):\n    {grad}\n"
GOOD_GRAD = "return (torch.softmax(logits, dim=1) - F.one_hot(targets, logits.shape[1])) / len(targets)"
BOW = ("def bow_vector(sentence):\n    v = torch.zeros(len(vocab){dtype})\n    for w in {words}:\n        if w in vocab:\n"
       "            v[vocab[w]] {op} 1\n    return v\n"
       "X_train = torch.stack([bow_vector(s) for s, _ in train_data]).float()\n"
       "t_train = torch.tensor([LABELS.index(l) for _, l in train_data])")
STEP = ("def logreg_step(W, b, X, t, lr):\n    loss = {loss}\n    loss.backward()\n    with torch.no_grad():\n"
        "        W -= {sign}lr * W.grad\n        b -= {sign}lr * b.grad\n{reset}    return {ret}")
RESET = "    W.grad = None\n    b.grad = None\n"
GOOD_LOSS = "F.cross_entropy(X @ W.T + b, t)"

MISTAKES = [
    Mistake("q1_log_softmax", {"q1_answer": "loss_nll = nn.NLLLoss()(torch.softmax(Z_demo, dim=1), t_demo)\n"
                                            "loss_ce = F.cross_entropy(Z_demo, t_demo)\n" + STABLE}, "expects log-probabilities", "NLLLoss on softmax"),
    Mistake("q1_log_softmax", {"q1_answer": "loss_nll = nn.NLLLoss()(Z_demo, t_demo)\nloss_ce = F.cross_entropy(Z_demo, t_demo)\n" + STABLE},
            "raw logits", "NLLLoss on logits"),
    Mistake("q1_log_softmax", {"q1_answer": BASE_Q1 + "def log_softmax_stable(z):\n    return z - torch.log(torch.exp(z).sum(dim=-1, keepdim=True))"},
            "overflow", "no shift by the maximum"),
    Mistake("q1_log_softmax", {"q1_answer": BASE_Q1 + "def log_softmax_stable(z):\n    return torch.log(torch.exp(z) / torch.exp(z).sum(dim=-1, keepdim=True))"},
            "not finite", "log of softmax"),
    Mistake("q1_log_softmax", {"q1_answer": BASE_Q1 + "def log_softmax_stable(z):\n    m = z.max()\n"
                                            "    return z - m - torch.log(torch.exp(z - m).sum(dim=0, keepdim=True))"}, "dim 0", "sum over the wrong dim"),
    Mistake("q1_log_softmax", {"q1_answer": BASE_Q1 + "def log_softmax_stable(z):\n    return F.log_softmax(z, dim=-1)"},
            "library function", "library log_softmax"),
    Mistake("q2_cross_entropy", {"q2_answer": CE.format(ce=GOOD_CE) + GRAD.format(grad="return torch.softmax(logits, 1) - F.one_hot(targets, logits.shape[1])")},
            "divided by N", "gradient not divided by N"),
    Mistake("q2_cross_entropy", {"q2_answer": CE.format(ce=GOOD_CE) + GRAD.format(grad="return (torch.softmax(logits, 1) - F.one_hot(targets)) / len(targets)")},
            "num_classes", "one_hot without num_classes"),
    Mistake("q2_cross_entropy", {"q2_answer": CE.format(ce="return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].sum()")
                                 + GRAD.format(grad=GOOD_GRAD)}, "mean", "sum instead of mean"),
    Mistake("q2_cross_entropy", {"q2_answer": CE.format(ce=GOOD_CE) + "ce_grad = autograd_ce_grad"}, "called autograd", "autograd instead of by hand"),
    Mistake("q2_cross_entropy", {"q2_answer": CE.format(ce="return F.cross_entropy(logits, targets)") + GRAD.format(grad=GOOD_GRAD)},
            "library function", "library cross-entropy"),
    Mistake("q2_cross_entropy", {"q2_answer": CE.format(ce=GOOD_CE) + GRAD.format(
        grad="return (F.one_hot(targets, logits.shape[1]) - torch.softmax(logits, 1)) / len(targets)")}, "not onehot", "gradient sign"),
    Mistake("q3_bce_logits", {"q3_answer": "def bce_with_logits(z, y):\n    return F.binary_cross_entropy(torch.sigmoid(z), y)"},
            "softplus", "sigmoid then BCE"),
    Mistake("q3_bce_logits", {"q3_answer": "def bce_with_logits(z, y):\n    p = torch.sigmoid(z)\n"
                                           "    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"}, "rounds to 0", "sigmoid before log"),
    Mistake("q3_bce_logits", {"q3_answer": "def bce_with_logits(z, y):\n    return (y * F.softplus(-z) + (1 - y) * F.softplus(z)).sum()"},
            "mean", "sum instead of mean"),
    Mistake("q3_bce_logits", {"q3_answer": "def bce_with_logits(z, y):\n    return F.binary_cross_entropy_with_logits(z, y)"},
            "library function", "library BCE"),
    Mistake("q4_bag_of_words", {"q4_answer": BOW.format(dtype="", words="sentence.split()", op="+=")}, "lowercase", "no lowercasing"),
    Mistake("q4_bag_of_words", {"q4_answer": BOW.format(dtype="", words="sentence.lower().split(' ')", op="+=")}, "whitespace", "split on ' '"),
    Mistake("q4_bag_of_words", {"q4_answer": BOW.format(dtype="", words="sentence.lower().split()", op="=")}, "every occurrence", "presence, not counts"),
    Mistake("q4_bag_of_words", {"q4_answer": BOW.format(dtype=", dtype=torch.long", words="sentence.lower().split()", op="+=")},
            "floating-point", "integer counts"),
    Mistake("q5_logreg_step", {"q5_answer": STEP.format(loss=GOOD_LOSS, sign="-", reset=RESET, ret="loss.item()")}, "wrong sign", "update sign"),
    Mistake("q5_logreg_step", {"q5_answer": STEP.format(loss=GOOD_LOSS, sign="", reset="", ret="loss.item()")}, "accumulated", "gradients never reset"),
    Mistake("q5_logreg_step", {"q5_answer": STEP.format(loss="F.cross_entropy(torch.softmax(X @ W.T + b, dim=1), t)", sign="", reset=RESET,
                                                        ret="loss.item()")}, "softmax(scores)", "softmax before cross-entropy"),
    Mistake("q5_logreg_step", {"q5_answer": STEP.format(loss="F.cross_entropy(X @ W.T + b, t, reduction='sum')", sign="", reset=RESET,
                                                        ret="loss.item()")}, "sum over the 6 examples", "sum instead of mean"),
    Mistake("q5_logreg_step", {"q5_answer": STEP.format(loss=GOOD_LOSS, sign="", reset=RESET, ret="loss")}, "python float", "loss returned as a tensor"),
]
