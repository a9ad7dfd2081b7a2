// Public surface of vhost cluster: edge pull/push, token traverse and origin-cluster lookups.
export { ClusterService, type ClusterServiceOptions } from './cluster-service.js';
export { EdgeIngester } from './edge-ingester.js';
export { EdgePusher } from './edge-pusher.js';
export { locateInCluster, clustersQueryUrl, parseClustersAnswer, ORIGIN_CLUSTER_REDIRECT } from './origin-cluster.js';
export { RoundRobin } from './round-robin.js';
