"""Writes the Parquet fixtures of test/io/parquet.test.ts with pyarrow, as files users get from pandas, DuckDB or
Spark: one table in several row groups under each codec that files in the wild use, beside the same values as a
float64 .npy written by numpy (the reference the tests compare with), and the files a reader must refuse.

Run outside the project's toolchain (pyarrow is not a dependency of the project):
    python3 -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow numpy
    /tmp/pa/bin/python scripts/parquet-fixtures.py
"""
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'parquet')
os.makedirs(out, exist_ok=True)

rng = np.random.default_rng(20261204)
rows = 1000
# Correlated columns with a spectrum that falls, so a pca of the file has well separated components to check.
latent = rng.standard_normal((rows, 3)) * np.array([5.0, 2.0, 0.7])
mixing = rng.standard_normal((3, 6))
values = latent @ mixing + 0.05 * rng.standard_normal((rows, 6)) + np.array([10, -3, 0, 1e3, 0, 7])
table = pa.table({
    'f64': pa.array(values[:, 0], pa.float64()),
    'f32': pa.array(values[:, 1].astype(np.float32), pa.float32()),
    'i32': pa.array(np.round(values[:, 2] * 100).astype(np.int32), pa.int32()),
    'i64': pa.array(np.round(values[:, 3] * 1000).astype(np.int64), pa.int64()),
    'u16': pa.array(np.round(np.abs(values[:, 4]) * 100).astype(np.uint16), pa.uint16()),
    'f64b': pa.array(values[:, 5], pa.float64()),
})
# The values as the file holds them, in float64: the reference.
reference = np.column_stack([
    values[:, 0],
    values[:, 1].astype(np.float32).astype(np.float64),
    np.round(values[:, 2] * 100).astype(np.int32),
    np.round(values[:, 3] * 1000).astype(np.int64),
    np.round(np.abs(values[:, 4]) * 100).astype(np.uint16),
    values[:, 5],
]).astype('<f8')
np.save(os.path.join(out, 'table.npy'), reference)

for codec in ['snappy', 'gzip', 'zstd', 'none']:
    pq.write_table(table, os.path.join(out, f'table-{codec}.parquet'), compression=codec, row_group_size=300)

# Only float32 columns: read as float32.
pq.write_table(pa.table({'a': pa.array(values[:, 0].astype(np.float32)), 'b': pa.array(values[:, 1].astype(np.float32))}),
               os.path.join(out, 'float32.parquet'), row_group_size=256)
# A null in column f32 at row 417.
with_null = values[:, 1].astype(object)
with_null[417] = None
pq.write_table(pa.table({'f64': pa.array(values[:, 0]), 'f32': pa.array(list(with_null), pa.float32())}),
               os.path.join(out, 'nulls.parquet'), row_group_size=300)
# A NaN in column f64 at row 650.
with_nan = values[:, 0].copy()
with_nan[650] = np.nan
pq.write_table(pa.table({'f64': pa.array(with_nan)}), os.path.join(out, 'nan.parquet'), row_group_size=300)
# A string column beside the numbers (an id), and a timestamp.
pq.write_table(pa.table({
    'id': pa.array([f'cell-{i}' for i in range(rows)]),
    'x': pa.array(values[:, 0]),
    'when': pa.array(np.arange(rows).astype('datetime64[s]')),
    'y': pa.array(values[:, 1]),
}), os.path.join(out, 'mixed.parquet'), row_group_size=300)
# A nested column.
pq.write_table(pa.table({'x': pa.array(values[:4, 0]), 'list': pa.array([[1.0], [2.0], [3.0], [4.0]])}),
               os.path.join(out, 'nested.parquet'))
