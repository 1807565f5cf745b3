#!/usr/bin/env bash
# End-to-end test on a real Kubernetes cluster: kind + the container image + the Helm chart + an
# in-cluster AWS emulator (moto), then one Cloud Transcode job through SQS until JOB_COMPLETED.
#
# NEEDS DOCKER (and kind, kubectl, helm on PATH). It cannot run on machines without a container
# runtime, such as the ones the rest of the test suite runs on; there, test/integration/chart
# checks the chart against a real kube-apiserver instead.
#
#   hack/kind-e2e.sh                 create cluster, build, install, run a job, delete the cluster
#   KEEP_CLUSTER=1 hack/kind-e2e.sh  leave the cluster up afterwards (kubectl --context kind-$CLUSTER)
#
# Settings (environment): CLUSTER (default cloudtranscode-e2e), NAMESPACE (cloudtranscode),
# IMAGE (cloudtranscode:e2e), MOTO_IMAGE (motoserver/moto:$MOTO_VERSION), JOB_TIMEOUT seconds (900).
#
# Steps: 1 kind cluster  2 docker build + kind load  3 moto Deployment/Service  4 helm install (AWS
# endpoint → moto) + helm test  5 examples/transcodeclient.yaml, wait Ready  6 in a pod of our image:
# generate a clip with ffmpeg, upload it to the client's input bucket, send examples/start-job.json
# as START_JOB with cli/ct-commander, follow the output queue with cli/ct-poller until JOB_COMPLETED,
# list the outputs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

CLUSTER="${CLUSTER:-cloudtranscode-e2e}"
NAMESPACE="${NAMESPACE:-cloudtranscode}"
IMAGE="${IMAGE:-cloudtranscode:e2e}"
MOTO_IMAGE="${MOTO_IMAGE:-motoserver/moto:$MOTO_VERSION}"
JOB_TIMEOUT="${JOB_TIMEOUT:-900}"
RELEASE=ct
CTX="kind-$CLUSTER"
K=(kubectl --context "$CTX")

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { log "$tool is required (this script needs Docker, kind, kubectl and helm)"; exit 1; }
done
docker info >/dev/null 2>&1 || { log "docker is not running: this script needs a container runtime"; exit 1; }

dump() {
  log "FAILED: state of namespace $NAMESPACE"
  "${K[@]}" -n "$NAMESPACE" get all,transcodeclients,transcodejobs,transcoderunners -o wide || true
  for d in operator api-server runner; do
    log "--- logs of $RELEASE-cloudtranscode-$d"
    "${K[@]}" -n "$NAMESPACE" logs "deploy/$RELEASE-cloudtranscode-$d" --tail=200 --all-containers || true
  done
}
cleanup() {
  local rc=$?
  [[ $rc -ne 0 ]] && dump
  if [[ "${KEEP_CLUSTER:-0}" == 1 ]]; then log "cluster kept: kubectl --context $CTX -n $NAMESPACE get pods"
  else kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; fi
  exit $rc
}
trap cleanup EXIT

log "1/6 kind cluster $CLUSTER"
kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 120s

log "2/6 docker build $IMAGE and load it into kind"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "3/6 in-cluster AWS emulator ($MOTO_IMAGE)"
"${K[@]}" create namespace "$NAMESPACE" --dry-run=client -o yaml | "${K[@]}" apply -f -
"${K[@]}" -n "$NAMESPACE" apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: { name: moto, labels: { app: moto } }
spec:
  replicas: 1
  selector: { matchLabels: { app: moto } }
  template:
    metadata: { labels: { app: moto } }
    spec:
      containers:
        - name: moto
          image: $MOTO_IMAGE
          ports: [{ name: http, containerPort: 5000 }]
          readinessProbe: { tcpSocket: { port: http }, periodSeconds: 2 }
---
apiVersion: v1
kind: Service
metadata: { name: moto }
spec:
  selector: { app: moto }
  ports: [{ name: http, port: 5000, targetPort: http }]
---
# moto accepts any credentials; the chart reads them from a Secret as it would real ones.
apiVersion: v1
kind: Secret
metadata: { name: aws-credentials }
stringData: { AWS_ACCESS_KEY_ID: testing, AWS_SECRET_ACCESS_KEY: testing }
YAML
"${K[@]}" -n "$NAMESPACE" rollout status deploy/moto --timeout=180s
AWS_ENDPOINT="http://moto.$NAMESPACE.svc:5000"

log "4/6 helm install $RELEASE (AWS endpoint $AWS_ENDPOINT)"
helm --kube-context "$CTX" upgrade --install "$RELEASE" charts/cloudtranscode -n "$NAMESPACE" --wait --timeout 10m \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set aws.region=us-east-1 --set aws.endpoint="$AWS_ENDPOINT" --set aws.s3ForcePathStyle=true \
  --set aws.existingSecret=aws-credentials --set aws.stackPrincipal=arn:aws:iam::123456789012:root \
  --set operator.replicas=1 --set apiServer.replicas=1 \
  --set runner.resources.requests.cpu=250m --set runner.resources.requests.memory=256Mi
helm --kube-context "$CTX" test "$RELEASE" -n "$NAMESPACE" --logs

log "5/6 example TranscodeClient"
"${K[@]}" -n "$NAMESPACE" apply -f examples/transcodeclient.yaml
"${K[@]}" -n "$NAMESPACE" wait transcodeclient/demo --for=condition=Ready --timeout=180s
status() { "${K[@]}" -n "$NAMESPACE" get transcodeclient demo -o jsonpath="{.status.$1}"; }
IN_QUEUE="$(status queues.inputUrl)"; OUT_QUEUE="$(status queues.outputUrl)"
BUCKET_IN="$(status buckets.input)"; BUCKET_OUT="$(status buckets.output)"
log "client demo: input queue $IN_QUEUE, output queue $OUT_QUEUE, buckets $BUCKET_IN → $BUCKET_OUT"

log "6/6 START_JOB through SQS, waiting for JOB_COMPLETED (up to $JOB_TIMEOUT s)"
JOB_ID="e2e-$(date +%s)"
JOB_JSON="$(sed -e "s/ct-default-demo-input/$BUCKET_IN/g" -e "s/ct-default-demo-output/$BUCKET_OUT/g" examples/start-job.json)"
# Runs in a pod of our image: ffmpeg, the AWS SDK and the CLI are all there.
CLIENT_SCRIPT='
set -eu
cd /app
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=25:duration=6 \
  -f lavfi -i sine=frequency=440:duration=6 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest /tmp/clip.mp4
printf "%s" "$JOB_JSON" > /tmp/job.json
INPUT_FILE=$(node -e "console.log(JSON.parse(require(\"fs\").readFileSync(\"/tmp/job.json\",\"utf8\")).input_file)")
node -e "
const { S3Client, PutObjectCommand } = require(\"@aws-sdk/client-s3\");
const s3 = new S3Client({ region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true });
s3.send(new PutObjectCommand({ Bucket: process.env.BUCKET_IN, Key: process.argv[1], Body: require(\"fs\").readFileSync(\"/tmp/clip.mp4\") }))
  .then(() => console.log(\"uploaded s3://\" + process.env.BUCKET_IN + \"/\" + process.argv[1]), (e) => { console.error(e); process.exit(1); });
" "$INPUT_FILE"
node dist/cli/ct-commander.js START_JOB --data /tmp/job.json --job-id "$JOB_ID" --input-queue "$IN_QUEUE"
node dist/cli/ct-poller.js --output-queue "$OUT_QUEUE" --job "$JOB_ID" --until-done --timeout "$JOB_TIMEOUT"
node -e "
const { S3Client, ListObjectsV2Command } = require(\"@aws-sdk/client-s3\");
const s3 = new S3Client({ region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true });
s3.send(new ListObjectsV2Command({ Bucket: process.env.BUCKET_OUT })).then((r) => {
  for (const o of r.Contents ?? []) console.log(\"output: s3://\" + process.env.BUCKET_OUT + \"/\" + o.Key + \" (\" + o.Size + \" bytes)\");
  if (!r.Contents?.length) { console.error(\"no outputs in \" + process.env.BUCKET_OUT); process.exit(1); }
});
"
'
"${K[@]}" -n "$NAMESPACE" run "e2e-client-$(date +%s)" --image="$IMAGE" --image-pull-policy=Never --restart=Never \
  --rm -i --quiet --pod-running-timeout=5m \
  --env="AWS_REGION=us-east-1" --env="AWS_ENDPOINT_URL=$AWS_ENDPOINT" --env="CT_AWS_ENDPOINT=$AWS_ENDPOINT" \
  --env="AWS_ACCESS_KEY_ID=testing" --env="AWS_SECRET_ACCESS_KEY=testing" \
  --env="IN_QUEUE=$IN_QUEUE" --env="OUT_QUEUE=$OUT_QUEUE" --env="BUCKET_IN=$BUCKET_IN" --env="BUCKET_OUT=$BUCKET_OUT" \
  --env="JOB_ID=$JOB_ID" --env="JOB_TIMEOUT=$JOB_TIMEOUT" --env="JOB_JSON=$JOB_JSON" \
  --command -- sh -c "$CLIENT_SCRIPT"
"${K[@]}" -n "$NAMESPACE" get transcodejobs
log "PASSED: job $JOB_ID completed on kind cluster $CLUSTER"
