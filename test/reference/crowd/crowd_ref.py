#!/usr/bin/env python3
"""Reference re-implementations of majority vote, Wawa, ZeroBasedSkill, one-coin and full Dawid-Skene and MACE,
for checking workflows/src/quality/consensus/{majority,wawa,zbs,one-coin,dawid-skene,mace}.ts.

Written from Crowd-Kit 1.4.1's published algorithm descriptions (crowdkit/aggregation/classification/*.py,
read, not copied) and the papers, in plain numpy, with no code shared with the TypeScript engine. With the
`crowd-kit` settings noted per method, each function follows Crowd-Kit's steps:

- majority: vote shares per task (Crowd-Kit MajorityVote.probas_); reliability = share of the annotator's
  distinct (task, label) answers that equal the consensus (Crowd-Kit get_accuracy, which drops repeated
  identical answers).
- wawa: majority vote, then skills = reliability as above, then the skill-weighted vote.
- zbs: skills start at 1/K + 1e-5; each iteration (1-based) halves the learning rate when the iteration is a
  multiple of 20, takes the skill-weighted vote and moves skills by lr * (accuracy - skill). Crowd-Kit always
  runs all 100 iterations (tolerance 0 here); a positive tolerance (default 1e-10) stops once the labels repeat
  and every skill is within tolerance of its accuracy.
- one-coin / dawid-skene: initial posteriors = vote shares; priors = mean posterior; M-step; then repeated
  E-step, priors, M-step, objective. Dawid-Skene M-step: expected counts per (annotator, given, true), each
  observed (annotator, given) cell floored at 1e-10, plus `smoothing` on every cell, normalised over the given
  label. One-coin: skill = mean posterior of the given label over the annotator's answers, confusion =
  skill on the diagonal and (1 - skill)/(K - 1) elsewhere, clipped to [1e-10, 1 - 1e-10]. E-step: log prior
  (floored at 1e-10) plus the log confusion entries of the task's answers, normalised.
  Stopping rules: `elbo` (Crowd-Kit: stop when the objective below rises by less than tolerance, or falls)
      ELBO = [sum over answers i, classes k of q(t_i,k) * (log e(w_i, l_i, k) + log p_k)
              - sum over tasks t, classes k of q' log q'] / answers,   q' = max(q, 1e-10);
  `log-likelihood` (|change| of the mean log marginal likelihood per answer computed in the E-step < tol);
  `posterior` (largest change of any posterior entry < tol).
  Crowd-Kit settings: stop elbo, tolerance 1e-5, maxIterations 100, smoothing 0, init soft-majority.
- mace (Hovy et al. 2013): restarts from the engine's seeded xoshiro128** stream (spamming W x 2, then
  strategies W x K, each 1 + (1 + noise) * u, rows normalised); E-step in log space; variational M-step
  exp(digamma(count + prior)) / exp(digamma(sum)) with Beta(alpha, beta) and Dirichlet(strategyPrior) priors,
  or the smoothed EM M-step; a restart stops early when its log marginal likelihood per answer changes by less
  than `tolerance` (default 1e-6; 0 runs Crowd-Kit's fixed iterations); the restart with the highest log marginal
  likelihood wins. Unlike Crowd-Kit, every restart draws new values (Crowd-Kit reuses random_state, so its
  restarts coincide), and strategy rows and columns are indexed consistently.

Labels: the lowest category whose posterior is within 1e-9 of the task's largest (documented ties).

stdin:  {"sets": [{"name": str, "answers": [[task, worker, label], ...], "categories"?: [...],
                   "jobs": [{"id": str, "method": str, "options"?: {...}, "posteriors"?: bool}]}]}
stdout: {"results": [{"set", "id", "method", "categories", "tasks", "annotators", "labels", "posteriors"?,
                      "reliability", "iterations", "converged", "objective", "ties", "priors"?}]}
"""
import json
import math
import sys

import numpy as np

TIE = 1e-9
FLOOR = 1e-10
MASK = 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------------- encoding


def _is_number(key):
    s = key.strip()
    if s == '' or any(c in s for c in '_xXoObB') or s.lower() in ('nan', '+nan', '-nan'):
        return False
    try:
        return math.isfinite(float(s))
    except ValueError:
        return False


def category_order(keys):
    """Numeric order when every key is a plain number, else UTF-16 code-unit order (as labels.ts)."""
    unique = list(dict.fromkeys(keys))
    if all(_is_number(k) for k in unique):
        return sorted(unique, key=lambda k: (float(k.strip()), k.encode('utf-16-be')))
    return sorted(unique, key=lambda k: k.encode('utf-16-be'))


class Data:
    def __init__(self, answers, categories=None):
        tasks, workers = {}, {}
        self.t = np.array([tasks.setdefault(a[0], len(tasks)) for a in answers], dtype=np.int64)
        self.w = np.array([workers.setdefault(a[1], len(workers)) for a in answers], dtype=np.int64)
        keys = [str(a[2]) for a in answers]
        self.categories = [str(c) for c in categories] if categories else category_order(keys)
        index = {c: k for k, c in enumerate(self.categories)}
        self.l = np.array([index[k] for k in keys], dtype=np.int64)
        self.tasks = list(tasks)
        self.workers = list(workers)
        self.T, self.W, self.K, self.n = len(self.tasks), len(self.workers), len(self.categories), len(answers)
        self.answered = np.bincount(self.w, minlength=self.W)


def pick(post):
    """Lowest category within TIE of the row maximum; also returns how many rows had such a tie."""
    best = post.max(axis=1)
    near = post >= (best - TIE)[:, None]
    return near.argmax(axis=1), int((near.sum(axis=1) > 1).sum())


def vote_shares(d, weights=None):
    wts = np.ones(d.n) if weights is None else weights[d.w]
    scores = np.zeros((d.T, d.K))
    for k in range(d.K):
        scores[:, k] = np.bincount(d.t, weights=wts * (d.l == k), minlength=d.T)
    return scores


def normalise_votes(d, scores):
    """Rows of `scores` as shares; a task whose voters all weigh 0 falls back to its plain vote shares."""
    total = scores.sum(axis=1)
    zero = total <= 0
    if zero.any():
        plain = vote_shares(d)
        scores = scores.copy()
        scores[zero] = plain[zero]
        total = scores.sum(axis=1)
    return scores / total[:, None]


def accuracy_against(d, labels):
    """Crowd-Kit get_accuracy: per annotator, share of distinct (task, label) answers equal to `labels`."""
    triples = np.unique(np.stack([d.t, d.w, d.l], axis=1), axis=0)
    hit = (labels[triples[:, 0]] == triples[:, 2]).astype(np.float64)
    num = np.bincount(triples[:, 1], weights=hit, minlength=d.W)
    den = np.bincount(triples[:, 1], minlength=d.W)
    return num / den


# ---------------------------------------------------------------------------------------------------- methods


def majority(d, o):
    post = normalise_votes(d, vote_shares(d))
    labels, ties = pick(post)
    return dict(post=post, labels=labels, ties=ties, reliability=accuracy_against(d, labels), iterations=1, converged=True, objective=None)


def wawa(d, o):
    mv, _ = pick(normalise_votes(d, vote_shares(d)))
    skills = accuracy_against(d, mv)
    post = normalise_votes(d, vote_shares(d, skills))
    labels, ties = pick(post)
    return dict(post=post, labels=labels, ties=ties, reliability=skills, iterations=1, converged=True, objective=None)


def zbs(d, o):
    max_iter = o.get('maxIterations', 100)
    lr = o.get('learningRate', 1.0)
    steps = o.get('lrStepsToReduce', 20)
    factor = o.get('lrReduceFactor', 0.5)
    tol = o.get('tolerance', 1e-10)
    skills = np.full(d.W, o.get('initialSkill', 1.0 / d.K + 1e-5))
    previous = None
    converged = False
    iterations = 0
    gap = None
    for it in range(1, max_iter + 1):
        iterations = it
        if it % steps == 0:
            lr *= factor
        labels, _ = pick(normalise_votes(d, vote_shares(d, skills)))
        acc = accuracy_against(d, labels)
        gap = float(np.abs(acc - skills).max())
        skills = skills + lr * (acc - skills)
        if previous is not None and np.array_equal(previous, labels) and gap < tol:
            converged = True
            break
        previous = labels
    post = normalise_votes(d, vote_shares(d, skills))
    labels, ties = pick(post)
    return dict(post=post, labels=labels, ties=ties, reliability=skills, iterations=iterations, converged=converged, objective=gap)


def _initial_posteriors(d, init):
    if init == 'soft-majority':
        return normalise_votes(d, vote_shares(d))
    if init == 'majority':
        shares = normalise_votes(d, vote_shares(d))
        near = (shares >= (shares.max(axis=1) - TIE)[:, None]).astype(np.float64)
        return near / near.sum(axis=1)[:, None]
    if init == 'wawa':
        return wawa(d, {})['post']
    raise ValueError(f'unknown init {init}')


def _e_step(d, log_prior, log_conf):
    """log_conf[w, l, k] = log P(gives l | true k). Returns posteriors and the mean log marginal likelihood."""
    logp = np.tile(log_prior, (d.T, 1))
    for k in range(d.K):
        logp[:, k] += np.bincount(d.t, weights=log_conf[d.w, d.l, k], minlength=d.T)
    m = logp.max(axis=1)
    e = np.exp(logp - m[:, None])
    s = e.sum(axis=1)
    return e / s[:, None], float((m + np.log(s)).sum() / d.n)


def _ds_m_step(d, post, smoothing):
    counts = np.zeros((d.W, d.K, d.K))  # [w, given l, true k]
    observed = np.zeros((d.W, d.K), dtype=bool)
    observed[d.w, d.l] = True
    flat = d.w * d.K + d.l
    for k in range(d.K):
        counts[:, :, k] = np.bincount(flat, weights=post[d.t, k], minlength=d.W * d.K).reshape(d.W, d.K)
    counts = np.where(observed[:, :, None], np.maximum(counts, FLOOR), 0.0) + smoothing
    return counts / counts.sum(axis=1, keepdims=True)


def _one_coin_m_step(d, post):
    skills = np.bincount(d.w, weights=post[d.t, d.l], minlength=d.W) / d.answered
    conf = np.empty((d.W, d.K, d.K))
    conf[:] = ((1 - skills) / (d.K - 1))[:, None, None]
    for k in range(d.K):
        conf[:, k, k] = skills
    return np.clip(conf, FLOOR, 1 - FLOOR), skills


def _elbo(d, post, priors, conf):
    log_terms = np.log(conf[d.w, d.l, :]) + np.log(np.maximum(priors, FLOOR))[None, :]
    joint = float((post[d.t] * log_terms).sum())
    q = np.maximum(post, FLOOR)
    entropy = float(-(q * np.log(q)).sum())
    return (joint + entropy) / d.n


def em_confusion(d, o, one_coin):
    max_iter = o.get('maxIterations', 100)
    tol = o.get('tolerance', 1e-5)
    stop = o.get('stop', 'elbo')
    smoothing = o.get('smoothing', 0.0)
    post = _initial_posteriors(d, o.get('init', 'soft-majority'))
    priors = post.mean(axis=0)
    if one_coin:
        conf, skills = _one_coin_m_step(d, post)
    else:
        conf = _ds_m_step(d, post, smoothing)
    previous = -math.inf
    objective = None
    converged = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        old = post
        post, loglik = _e_step(d, np.log(np.maximum(priors, FLOOR)), np.log(conf))
        priors = post.mean(axis=0)
        if one_coin:
            conf, skills = _one_coin_m_step(d, post)
        else:
            conf = _ds_m_step(d, post, smoothing)
        if stop == 'elbo':
            objective = _elbo(d, post, priors, conf)
            done = objective - previous < tol
        elif stop == 'log-likelihood':
            objective = loglik
            done = abs(objective - previous) < tol
        elif stop == 'posterior':
            objective = float(np.abs(post - old).max())
            done = objective < tol
        else:
            raise ValueError(f'unknown stop {stop}')
        previous = objective
        if done:
            converged = True
            break
    labels, ties = pick(post)
    if one_coin:
        reliability = skills
    else:
        diag = conf[:, np.arange(d.K), np.arange(d.K)]  # [w, k] = P(gives k | true k)
        reliability = (diag * priors[None, :]).sum(axis=1)
    return dict(post=post, labels=labels, ties=ties, reliability=reliability, iterations=iterations, converged=converged, objective=objective, priors=priors)


# ---------------------------------------------------------------------------------------------------- MACE


def fnv1a(text):
    data = text.encode('utf-16-le')
    h = 0x811C9DC5
    for i in range(0, len(data), 2):
        h ^= int.from_bytes(data[i : i + 2], 'little')
        h = (h * 0x01000193) & MASK
    return h


class Rng:
    """The engine's xoshiro128** seeded through splitmix32 (workflows/src/quality/random.ts), string/int seeds."""

    def __init__(self, seed):
        if isinstance(seed, str):
            x = fnv1a('s:' + seed)
        elif isinstance(seed, int) and not isinstance(seed, bool) and abs(seed) < 2**32:
            x = seed & MASK
        else:
            raise ValueError('the reference takes string seeds and integer seeds below 2**32')
        self.x = x
        self.s = [self._splitmix() for _ in range(4)]
        if not any(self.s):
            self.s[0] = 1

    def _splitmix(self):
        self.x = (self.x + 0x9E3779B9) & MASK
        z = self.x
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK
        return z ^ (z >> 16)

    def uint32(self):
        s0, s1, s2, s3 = self.s
        rot = lambda v, k: ((v << k) | (v >> (32 - k))) & MASK
        result = (rot((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 9) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rot(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self, shape):
        out = np.empty(int(np.prod(shape)))
        for i in range(out.size):
            out[i] = self.uint32() / 4294967296.0
        return out.reshape(shape)


def digamma(x):
    """psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series to x^-10."""
    x = np.asarray(x, dtype=np.float64).copy()
    acc = np.zeros_like(x)
    while True:
        small = x < 10
        if not small.any():
            break
        acc[small] -= 1.0 / x[small]
        x[small] += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132)))))
    return acc + np.log(x) - 0.5 * inv - series


def _mace_e_step(d, spam, theta):
    a = spam[d.w, 0] * theta[d.w, d.l]  # P(spamming and producing the given label)
    b = spam[d.w, 1]  # P(knowing), which gives the true label
    log_gold = np.tile(np.bincount(d.t, weights=np.log(a), minlength=d.T)[:, None], (1, d.K)) - math.log(d.K)
    bonus = np.log(a + b) - np.log(a)
    log_gold += np.bincount(d.t * d.K + d.l, weights=bonus, minlength=d.T * d.K).reshape(d.T, d.K)
    m = log_gold.max(axis=1)
    e = np.exp(log_gold - m[:, None])
    s = e.sum(axis=1)
    post = e / s[:, None]
    lml = float((m + np.log(s)).sum())
    know = post[d.t, d.l] * (b / (a + b))
    spamming = 1.0 - know
    strategy = np.bincount(d.w * d.K + d.l, weights=spamming, minlength=d.W * d.K).reshape(d.W, d.K)
    knowing = np.stack([np.bincount(d.w, weights=spamming, minlength=d.W), np.bincount(d.w, weights=know, minlength=d.W)], axis=1)
    return lml, post, strategy, knowing


def mace(d, o):
    restarts = o.get('restarts', 10)
    max_iter = o.get('maxIterations', 50)
    inference = o.get('inference', 'vb')
    alpha = o.get('alpha', 0.5)
    beta = o.get('beta', 0.5)
    strategy_prior = o.get('strategyPrior', 10.0)
    noise = o.get('defaultNoise', 0.5)
    smoothing = o.get('smoothing', 0.01 / d.K)
    tol = o.get('tolerance', 1e-6)
    rng = Rng(o.get('seed', 0))
    best = None
    for _ in range(restarts):
        spam = 1 + (1 + noise) * rng.uniform((d.W, 2))
        theta = 1 + (1 + noise) * rng.uniform((d.W, d.K))
        spam /= spam.sum(axis=1, keepdims=True)
        theta /= theta.sum(axis=1, keepdims=True)
        lml, post, strategy, knowing = _mace_e_step(d, spam, theta)
        iterations = 0
        converged = False
        for _ in range(max_iter):
            iterations += 1
            if inference == 'vb':
                prior2 = np.array([alpha, beta])
                spam = np.exp(digamma(knowing + prior2) - digamma((knowing + prior2).sum(axis=1))[:, None])
                theta = np.exp(digamma(strategy + strategy_prior) - digamma((strategy + strategy_prior).sum(axis=1))[:, None])
            else:
                spam = (knowing + smoothing) / (knowing + smoothing).sum(axis=1, keepdims=True)
                theta = (strategy + smoothing) / (strategy + smoothing).sum(axis=1, keepdims=True)
            previous = lml
            lml, post, strategy, knowing = _mace_e_step(d, spam, theta)
            if abs(lml - previous) / d.n < tol:
                converged = True
                break
        if best is None or lml > best[0]:
            best = (lml, spam.copy(), theta.copy(), iterations, converged)
    lml, spam, theta, iterations, converged = best
    _, post, _, _ = _mace_e_step(d, spam, theta)
    labels, ties = pick(post)
    competence = spam[:, 1] / spam.sum(axis=1)
    return dict(post=post, labels=labels, ties=ties, reliability=competence, iterations=iterations, converged=converged, objective=lml / d.n)


METHODS = {
    'majority': majority,
    'wawa': wawa,
    'zbs': zbs,
    'one-coin': lambda d, o: em_confusion(d, o, True),
    'dawid-skene': lambda d, o: em_confusion(d, o, False),
    'mace': mace,
}


def main():
    np.seterr(divide='ignore')  # log(0) of confusion cells an annotator never used; those cells are never read
    request = json.load(sys.stdin)
    results = []
    for s in request['sets']:
        d = Data(s['answers'], s.get('categories'))
        for job in s['jobs']:
            r = METHODS[job['method']](d, job.get('options') or {})
            out = {
                'set': s['name'],
                'id': job.get('id', job['method']),
                'method': job['method'],
                'categories': d.categories,
                'tasks': d.tasks,
                'annotators': d.workers,
                'labels': [d.categories[k] for k in r['labels']],
                'reliability': [float(x) for x in r['reliability']],
                'iterations': r['iterations'],
                'converged': r['converged'],
                'objective': r['objective'],
                'ties': r['ties'],
            }
            if job.get('posteriors', True):
                out['posteriors'] = r['post'].tolist()
            if 'priors' in r:
                out['priors'] = r['priors'].tolist()
            results.append(out)
    json.dump({'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
