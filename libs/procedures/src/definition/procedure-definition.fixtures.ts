/* Definitions shared by the specs of this folder: the architecture's example and one using every field. */

export const RESTART_SERVICE_YAML = `name: restart-service
description: Restart one service in one environment and check it came back.
parameters:
  service:     { type: string, enum: [api, worker], required: true }
  environment: { type: string, enum: [staging, production], default: staging }
  reason:      { type: string, pattern: "^[A-Z]+-[0-9]+$", description: "ticket id" }
  token:       { type: string, secret: true }
steps:
  - name: restart
    shell: bash
    run: |
      echo "restarting $PARAM_SERVICE in $PARAM_ENVIRONMENT"
      echo "restarted_at=$(date -u +%FT%TZ)" >> "$SWITCHBOARD_OUTPUT"
  - name: check
    shell: python3
    run: |
      import os; print("checking", os.environ["PARAM_SERVICE"], "since", os.environ["STEP_RESTART_RESTARTED_AT"])
timeout: 10m
retries: 0
concurrency: 1            # at most one run of this procedure at a time
worker_group: default     # which worker pool runs it
approval: { when: "environment == 'production'", approvers: 1 }
notify: { on: [failed, timed_out], channels: [ops-mail] }
toil_minutes: 15          # how long this took a person by hand: feeds the toil-saved figures
`;

export const EVERY_FIELD_YAML = `name: rotate-certificates
description: |
  Rotates TLS certificates on the chosen hosts.

  Runs in three phases.
parameters:
  environment:
    type: string
    label: Environment
    description: Where to rotate
    required: true
    enum: [staging, production, dr]
    default: staging
  ticket: { type: string, pattern: "^OPS-[0-9]{1,6}$", min_length: 5, max_length: 10 }
  api_token: { type: string, secret: true, multiline: true, required: true }
  notes: { type: string, multiline: true, max_length: 2000 }
  batch_size: { type: integer, min: 1, max: 50, default: 5 }
  ratio: { type: number, min: 0, max: 1, default: 0.25 }
  replicas: { type: integer, enum: [1, 3, 5] }
  dry_run: { type: boolean, default: true }
  regions: { type: array, items: { type: string, enum: [eu, us, ap] }, min_items: 1, max_items: 3, default: [eu] }
  hosts: { type: array, items: { type: string, pattern: "^[a-z0-9.-]+$", max_length: 253 }, max_items: 20 }
  ports: { type: array, items: { type: integer, min: 1, max: 65535 } }
steps:
  - name: prepare
    shell: sh
    run: |
      set -eu
        indented line
      echo "done"
    timeout: 5m
    env:
      LOG_LEVEL: debug
      RETRIES: "3"
  - name: notify-start
    http:
      method: post
      url: https://hooks.example.com/rotate?phase=start
      headers: { Content-Type: application/json, X-Team: ops }
      body: { text: "rotation starting", count: 3, nested: { ok: true, list: [1, "two", null] } }
      expect_status: [200, 202]
      timeout: 30s
    continue_on_error: true
  - name: ping
    http: { method: GET, url: "http://status.internal:8080/health", expect_status: 204 }
  - name: rotate
    procedure: rotate-one-certificate
    params:
      environment: { param: environment }
      force: true
      hosts: [a.example.com, b.example.com]
      attempt: 2
      label: static text
  - name: verify
    shell: /usr/local/bin/verify-tls
    run: "--all"
  - name: report
    shell: node
    run: |-
      console.log('no trailing newline')
timeout: 1h30m
retries: 2
retry_delay: 1m
concurrency: 3
worker_group: dmz-workers
approval:
  when: "environment in ['production', 'dr'] and not dry_run or batch_size > 20"
  approvers: 2
  from: { roles: [owner], teams: [sre, security] }
  expires_after: 2d
notify:
  on: [started, failed, timed_out, worker_lost, approval_requested]
  channels: [ops-mail, sre-slack]
toil_minutes: 45
tags: [tls, security, "quarterly"]
`;

export const MINIMAL_YAML = `name: hello
steps:
  - name: say-hello
    run: echo hello
`;
