"""Writes test/fixtures/sparse/: small sparse files written by scipy itself (scipy.sparse.save_npz, scipy.io.mmwrite)
and numpy, each with its dense float64 truth beside it as <name>.dense.npy (np.save of .toarray(), rows × columns as
eigengame reads the file: a file read with `transpose` has the transposed truth), and answers.json with float64
PCA/SVD answers of one of them (numpy eigh of the covariance, numpy svd), for test/io/npz.test.ts,
test/io/mtx.test.ts and test/cli/sparse.test.ts (which never run Python).

- csr.npz: csr, float64 data, int32 indices, deflated (save_npz's default, compressed=True).
- csc-stored.npz: csc, float32 data, stored (compressed=False).
- csr-int64.npz: int64 indptr and indices (what scipy uses past 2^31 entries, and what some writers always use).
- csr-counts.npz: int64 data (counts) and csr-bool.npz: bool data (a pattern): converted to floats.
- csr-big-endian.npz: '>f8' data and '>i4' indices.
- coo.npz: coo (row and col arrays), with a duplicate entry (scipy sums it).
- bsr.npz: a format eigengame refuses, by name.
- real.mtx (real general), integer.mtx (integer general), pattern.mtx (pattern general), symmetric.mtx (real
  symmetric: the lower triangle stored, mirrored on reading).
- genes-by-cells.mtx.gz: integer counts of 30 genes × 60 cells, as 10x Genomics and GEO publish them; its truth is the
  transpose (60 cells × 30 genes), the matrix the tests read with `transpose`.
- cells-sorted.mtx.gz: the same counts with the entries sorted by column (cell), as 10x Genomics writes them: read
  transposed, its rows come in order (what a streamed reading needs); the same truth and answers.
- cells.npz: the same counts, cells × genes, as a csr matrix of float64 (deflated): what openSparse streams by rows.
- genes-by-cells-csc.npz: the counts genes × cells as a csc matrix, int64 counts and int64 indices, stored: read with
  `transpose`, its columns (cells) are the rows (openSparse streams it so); the same truth and answers.
- answers.json: for cells × genes of genes-by-cells.mtx.gz (log1p of the counts is not taken: the counts themselves),
  the centred PCA (eigenvalues of the covariance with n − 1, their eigenvectors as rows, signs as svd_flip: largest
  magnitude positive) and the uncentred truncated SVD (singular values, right singular vectors, the variances of the
  projections with n − 1 as TruncatedSVD's explained_variance_ has n), k = 5.

Run: /usr/bin/python3 scripts/sparse-fixtures.py (numpy 1.24, scipy 1.10).
"""
import gzip
import io
import json
import os

import numpy as np
import scipy.io
import scipy.sparse as sp

directory = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'sparse')
os.makedirs(directory, exist_ok=True)
rng = np.random.default_rng(22)


def path(name):
    return os.path.join(directory, name)


def truth(name, dense):
    np.save(path(name + '.dense.npy'), np.ascontiguousarray(dense, dtype=np.float64))


def random_sparse(rows, cols, density, fmt):
    values = rng.standard_normal((rows, cols)) * (rng.random((rows, cols)) < density)
    values[values != 0] += np.sign(values[values != 0]) * 0.5
    values[values == 0] = 0.0  # no −0.0 from a negative value times False: scipy stores no entry for it either way
    # Values whose low bits a reader that rounds would change.
    values[0, 0] = 1 / 3
    values[rows - 1, cols - 1] = -1e-300 if fmt != 'float32' else -1e-30
    return values


# csr, float64, deflated.
csr_dense = random_sparse(9, 7, 0.35, 'float64')
sp.save_npz(path('csr.npz'), sp.csr_matrix(csr_dense), compressed=True)
truth('csr.npz', csr_dense)

# csc, float32, stored.
csc_dense = random_sparse(8, 11, 0.3, 'float32').astype(np.float32)
sp.save_npz(path('csc-stored.npz'), sp.csc_matrix(csc_dense), compressed=False)
truth('csc-stored.npz', csc_dense)

# int64 indices.
m = sp.csr_matrix(csr_dense)
m.indices = m.indices.astype(np.int64)
m.indptr = m.indptr.astype(np.int64)
assert m.indices.dtype == np.int64
sp.save_npz(path('csr-int64.npz'), m)
truth('csr-int64.npz', csr_dense)

# Integer and bool data.
counts = rng.poisson(0.7, (6, 5)).astype(np.int64)
sp.save_npz(path('csr-counts.npz'), sp.csr_matrix(counts))
truth('csr-counts.npz', counts)
pattern = rng.random((5, 6)) < 0.4
sp.save_npz(path('csr-bool.npz'), sp.csr_matrix(pattern))
truth('csr-bool.npz', pattern)

# Big-endian arrays.
m = sp.csr_matrix(csr_dense)
big = sp.csr_matrix(csr_dense)
# Set after construction: scipy's constructor would convert them to native order.
big.data = m.data.astype('>f8')
big.indices = m.indices.astype('>i4')
big.indptr = m.indptr.astype('>i4')
assert big.data.dtype.byteorder == '>'
sp.save_npz(path('csr-big-endian.npz'), big)
truth('csr-big-endian.npz', csr_dense)

# coo with a duplicate entry.
row = np.array([0, 2, 1, 3, 2, 0])
col = np.array([1, 0, 4, 3, 0, 2])
val = np.array([1.5, -2.0, 0.25, 4.0, 3.0, -1 / 3])
coo = sp.coo_matrix((val, (row, col)), shape=(4, 5))
sp.save_npz(path('coo.npz'), coo)
truth('coo.npz', coo.toarray())

# bsr: refused.
sp.save_npz(path('bsr.npz'), sp.bsr_matrix(np.eye(4), blocksize=(2, 2)))

# Matrix Market files.
real_dense = random_sparse(7, 5, 0.4, 'float64')
scipy.io.mmwrite(path('real.mtx'), sp.coo_matrix(real_dense), comment='a real general matrix', precision=17)
truth('real.mtx', real_dense)
integer_dense = rng.poisson(1.2, (5, 8)) * (rng.random((5, 8)) < 0.5)
scipy.io.mmwrite(path('integer.mtx'), sp.coo_matrix(integer_dense.astype(np.int64)), field='integer')
truth('integer.mtx', integer_dense)
pattern_dense = (rng.random((6, 4)) < 0.4).astype(np.float64)
scipy.io.mmwrite(path('pattern.mtx'), sp.coo_matrix(pattern_dense), field='pattern')
truth('pattern.mtx', pattern_dense)
a = random_sparse(6, 6, 0.4, 'float64')
symmetric_dense = np.tril(a) + np.tril(a, -1).T
scipy.io.mmwrite(path('symmetric.mtx'), sp.coo_matrix(symmetric_dense), symmetry='symmetric', precision=17)
with open(path('symmetric.mtx')) as f:
    assert 'symmetric' in f.readline()
truth('symmetric.mtx', symmetric_dense)

# genes × cells counts, gzipped: the truth is cells × genes.
genes, cells = 30, 60
rates = rng.gamma(0.6, 1.5, size=(genes, 1)) * rng.gamma(4.0, 0.25, size=(1, cells))
genes_by_cells = rng.poisson(rates).astype(np.int64)
buffer = io.BytesIO()
scipy.io.mmwrite(buffer, sp.coo_matrix(genes_by_cells), field='integer', comment='genes x cells')
with gzip.GzipFile(path('genes-by-cells.mtx.gz'), 'wb', mtime=0) as f:  # no time stamp: the same bytes each run
    f.write(buffer.getvalue())
cells_by_genes = genes_by_cells.T.astype(np.float64)
truth('genes-by-cells.mtx.gz', cells_by_genes)
buffer = io.BytesIO()
scipy.io.mmwrite(buffer, sp.csc_matrix(genes_by_cells).tocoo(), field='integer', comment='genes x cells, sorted by cell')
with gzip.GzipFile(path('cells-sorted.mtx.gz'), 'wb', mtime=0) as f:
    f.write(buffer.getvalue())
truth('cells-sorted.mtx.gz', cells_by_genes)
sp.save_npz(path('cells.npz'), sp.csr_matrix(cells_by_genes), compressed=True)
truth('cells.npz', cells_by_genes)
csc = sp.csc_matrix(genes_by_cells)
csc.indices = csc.indices.astype(np.int64)
csc.indptr = csc.indptr.astype(np.int64)
assert csc.data.dtype == np.int64 and csc.indices.dtype == np.int64
sp.save_npz(path('genes-by-cells-csc.npz'), csc, compressed=False)
truth('genes-by-cells-csc.npz', cells_by_genes)


def flip(rows):
    """svd_flip's sign: each row's largest-magnitude entry positive."""
    signs = np.sign(rows[np.arange(rows.shape[0]), np.argmax(np.abs(rows), axis=1)])
    return rows * signs[:, None]


k = 5
X = cells_by_genes
n = X.shape[0]
C = np.cov(X, rowvar=False)
values, vectors = np.linalg.eigh(C)
order = np.argsort(values)[::-1][:k]
_, s, vt = np.linalg.svd(X, full_matrices=False)
projections = X @ vt[:k].T
answers = {
    'file': 'genes-by-cells.mtx.gz', 'rows': n, 'cols': X.shape[1], 'k': k,
    'mean': X.mean(axis=0).tolist(),
    'pca': {'explainedVariance': values[order].tolist(), 'components': flip(vectors[:, order].T).tolist(),
            'totalVariance': float(np.trace(C))},
    'svd': {'singularValues': s[:k].tolist(), 'components': flip(vt[:k]).tolist(),
            'explainedVariance': projections.var(axis=0, ddof=1).tolist()},
}
with open(path('answers.json'), 'w') as f:
    json.dump(answers, f, indent=1)
    f.write('\n')
