"""Writes test/fixtures/sklearn-generalized.json: two data sets bundled with scikit-learn, and what scikit-learn and
scipy find on them, for the side-by-side of README.md and test/generalized/sklearn.test.ts (which never run Python).

- diabetes (442 × 10): X = age, sex, bmi, bp; Y = the six blood serum measurements s1 … s6.
  CCA (scikit-learn's NIPALS, scale=True, its defaults), PLSSVD(scale=False), and the exact answers from
  scipy.linalg.eigh on the pencils (CCA: A = [[0, Cxy], [Cyx, 0]], B = blockdiag(Cxx, Cyy); PLS: svd of Cxy).
- wine (178 × 13, 3 classes): LinearDiscriminantAnalysis(solver='eigen'), and scipy.linalg.eigh(Sb, Sw).

Run: python3 scripts/sklearn-generalized.py (numpy, scipy, scikit-learn).
"""
import json
import time

import numpy as np
import scipy.linalg as sl
import sklearn
from sklearn.cross_decomposition import CCA, PLSSVD
from sklearn.datasets import load_diabetes, load_wine
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis


def timed(run, repeats=5):
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return result, best


def cca_case(X, Y, k):
    n, dx = X.shape
    C = np.cov(np.hstack([X, Y]).T)
    A = np.zeros_like(C)
    B = np.zeros_like(C)
    A[:dx, dx:] = C[:dx, dx:]
    A[dx:, :dx] = C[dx:, :dx]
    B[:dx, :dx] = C[:dx, :dx]
    B[dx:, dx:] = C[dx:, dx:]
    (w, U), exact_seconds = timed(lambda: sl.eigh(A, B))
    order = np.argsort(-w)[:k]
    model, sk_seconds = timed(lambda: CCA(n_components=k).fit(X, Y))
    xs, ys = model.transform(X, Y)
    sk_corr = [float(np.corrcoef(xs[:, i], ys[:, i])[0, 1]) for i in range(k)]
    # scikit-learn's rotations act on standardised columns: in the data's units, divide by each column's std.
    return {
        'k': k,
        'exact': {'correlations': w[order].tolist(), 'x': U[:dx, order].T.tolist(), 'y': U[dx:, order].T.tolist(), 'seconds': exact_seconds},
        'sklearn': {
            'correlations': sk_corr,
            'x': (model.x_rotations_ / model._x_std[:, None]).T.tolist(),
            'y': (model.y_rotations_ / model._y_std[:, None]).T.tolist(),
            'seconds': sk_seconds,
        },
    }


def pls_case(X, Y, k):
    n = X.shape[0]
    Xc = X - X.mean(0)
    Yc = Y - Y.mean(0)
    (U, s, Vt), exact_seconds = timed(lambda: np.linalg.svd(Xc.T @ Yc / (n - 1)))
    model, sk_seconds = timed(lambda: PLSSVD(n_components=k, scale=False).fit(X, Y))
    return {
        'k': k,
        'exact': {'singularValues': s[:k].tolist(), 'x': U[:, :k].T.tolist(), 'y': Vt[:k].tolist(), 'seconds': exact_seconds},
        'sklearn': {'x': model.x_weights_.T.tolist(), 'y': model.y_weights_.T.tolist(), 'seconds': sk_seconds},
    }


def lda_case(X, y, k):
    classes = np.unique(y)
    n = len(y)
    mean = X.mean(0)
    Sw = sum((np.sum(y == c) / n) * np.cov(X[y == c].T, bias=True) for c in classes)
    Sb = sum((np.sum(y == c) / n) * np.outer(X[y == c].mean(0) - mean, X[y == c].mean(0) - mean) for c in classes)
    (w, V), exact_seconds = timed(lambda: sl.eigh(Sb, Sw))
    order = np.argsort(-w)
    model, sk_seconds = timed(lambda: LinearDiscriminantAnalysis(solver='eigen').fit(X, y))
    return {
        'k': k,
        'exact': {'eigenvalues': w[order][:k].tolist(), 'total': float(w.sum()), 'scalings': V[:, order[:k]].T.tolist(), 'seconds': exact_seconds},
        'sklearn': {
            'explainedVarianceRatio': model.explained_variance_ratio_[:k].tolist(),
            'scalings': model.scalings_[:, :k].T.tolist(),
            'predictions': model.predict(X).tolist(),
            'accuracy': float(np.mean(model.predict(X) == y)),
            'seconds': sk_seconds,
        },
    }


def main():
    diabetes = load_diabetes()
    X = diabetes.data[:, :4].astype(np.float64)
    Y = diabetes.data[:, 4:].astype(np.float64)
    wine = load_wine()
    fixture = {
        'versions': {'numpy': np.__version__, 'scipy': __import__('scipy').__version__, 'sklearn': sklearn.__version__},
        'diabetes': {
            'n': int(X.shape[0]), 'dx': int(X.shape[1]), 'dy': int(Y.shape[1]),
            'x': X.ravel().tolist(), 'y': Y.ravel().tolist(),
            'cca': cca_case(X, Y, 2),
            'pls': pls_case(X, Y, 2),
        },
        'wine': {
            'n': int(wine.data.shape[0]), 'd': int(wine.data.shape[1]),
            'x': wine.data.ravel().tolist(), 'labels': wine.target.tolist(),
            'lda': lda_case(wine.data, wine.target, 2),
        },
    }
    with open('test/fixtures/sklearn-generalized.json', 'w') as out:
        json.dump(fixture, out)


main()
