"""Writes test/fixtures/npy/: small .npy files written by numpy itself (np.save / np.lib.format.write_array), and
values.json with their values as Python floats (repr round-trips every float64, and every float32 widened to it), for
test/io/npy-fixtures.test.ts (which never runs Python).

- c-float32.npy (5 × 3, '<f4', version 1.0), c-float64.npy (4 × 6, '<f8', version 1.0): read, to the bit.
- version2-float32.npy (3 × 2, '<f4', format version 2.0, a 4-byte header length): read, to the bit.
- wide-float64.npy (2 × 40, '<f8'): a header numpy pads to a multiple of 64 bytes.
- fortran-float64.npy (4 × 6, fortran_order True) and big-endian-float32.npy ('>f4'): refused, each named.

Run: python3 scripts/npy-fixtures.py (numpy).
"""
import json
import os

import numpy as np

directory = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'npy')
os.makedirs(directory, exist_ok=True)

# Values that a reader that rounds, swaps bytes or shifts by one would change: thirds, tiny and huge magnitudes,
# a subnormal, negative zero, and numbers far from zero whose low bits matter.
c32 = np.array([[1 / 3, -2.5e-8, 3.4e38], [-0.0, 1e-45, 7.0], [16777217.0, -1.5, 0.1],
                [2.0 ** -126, 123456.789, -3.75], [1e10, -1e-10, 0.5]], dtype=np.float32)
c64 = np.array([[1 / 3, -2.5e-8, 1.7e308, 5e-324, -0.0, 1.7e9 + 0.1],
                [np.pi, -np.e, 2.0 ** 53 + 2, 1e-300, 0.1, -7.0],
                [1 / 7, 2 / 7, 3 / 7, 4 / 7, 5 / 7, 6 / 7],
                [-1.0, 1.0, -1e100, 1e-100, 12345.6789, 9007199254740991.0]], dtype=np.float64)
v2 = np.array([[0.25, -1 / 3], [1e-30, 42.0], [-6.5, 1e30]], dtype=np.float32)
wide = np.array([[i / 9 - j for i in range(40)] for j in range(2)], dtype=np.float64)

np.save(os.path.join(directory, 'c-float32.npy'), c32)
np.save(os.path.join(directory, 'c-float64.npy'), c64)
with open(os.path.join(directory, 'version2-float32.npy'), 'wb') as f:
    np.lib.format.write_array(f, v2, version=(2, 0))
np.save(os.path.join(directory, 'wide-float64.npy'), wide)
np.save(os.path.join(directory, 'fortran-float64.npy'), np.asfortranarray(c64))
np.save(os.path.join(directory, 'big-endian-float32.npy'), c32.astype('>f4'))

values = {name: [float(x) for x in array.ravel(order='C')] for name, array in
          [('c-float32', c32), ('c-float64', c64), ('version2-float32', v2), ('wide-float64', wide)]}
values['numpy'] = np.__version__
with open(os.path.join(directory, 'values.json'), 'w') as f:
    # -0.0 and subnormals as Python writes them; json writes floats with repr.
    json.dump(values, f, indent=1)
    f.write('\n')
