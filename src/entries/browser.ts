// The package entry for browsers and other web hosts (`browser`, `worker` and `default` conditions): kernels fetched
// next to the package, devices on module Web Workers in cross-origin-isolated pages, one in-thread device elsewhere.
import { installHost } from '../hosts/host';
import { webHost } from '../hosts/web';

installHost(webHost);

export * from '../api';
