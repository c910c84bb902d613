// Where Redis is: REDIS_URL (redis://host:port), else 127.0.0.1:6379. BullMQ's workers need
// maxRetriesPerRequest: null, so that a restarted Redis is waited for instead of failing their commands.

export function redisConnection(url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port || 6379), maxRetriesPerRequest: null };
}
