import assert from 'node:assert/strict';
import {
  buildTimeline,
  LANE_GAP_MS,
  lifeOf,
  nextDeployOf,
  type PushView,
  STATE_COLOURS,
  stateSegments,
  TIMELINE_AHEAD_HOURS,
  TIMELINE_HOURS,
  type TimelineInput,
} from '../../functions/core/timeline.js';
import { LEASE_COLOUR, renderTimelineSvg } from '../../functions/core/timeline-svg.js';
import type { Deployment, DeploymentStatus, VersionDecision } from '../../functions/core/types.js';
import { makeDeployment, makeLease } from '../support/fixtures.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const SHA = 'abcdef1234567890abcdef1234567890abcdef12';

function hoursAgo(hours: number): Date {
  return new Date(NOW.getTime() - hours * HOUR);
}

/** An instance of master whose life is `steps`: each a status and how many hours ago it began. */
function instance(
  name: string,
  steps: Array<[DeploymentStatus, number]>,
  fields: Partial<Deployment> = {},
): Deployment {
  const transitions = steps.map(([status, ago]) => ({ status, at: hoursAgo(ago) }));
  const last = transitions.at(-1);
  if (!last || !transitions[0]) throw new Error('an instance needs a step');
  return makeDeployment({
    instance: name,
    commit: SHA,
    status: last.status,
    createdAt: transitions[0].at,
    updatedAt: last.at,
    transitions,
    ...fields,
  });
}

function input(fields: Partial<TimelineInput>): TimelineInput {
  return { deployments: [], leases: [], pushes: [], nextDeploy: null, now: NOW, ...fields };
}

/** A segment as `[status, from hours ago, to hours ago, open]`. */
type SegmentRow = [DeploymentStatus, number, number, boolean];

function rows(d: Deployment): SegmentRow[] {
  return stateSegments(d, NOW).map((s) => [
    s.status,
    (NOW.getTime() - s.from.getTime()) / HOUR,
    (NOW.getTime() - s.to.getTime()) / HOUR,
    s.isOpen,
  ]);
}

describe('timeline', () => {
  describe('stateSegments: the states of one instance, from its transitions', () => {
    const cases: Array<[string, Deployment, SegmentRow[]]> = [
      [
        'alive: the last state is open and ends now',
        instance('kf-master-1130-aaa', [
          ['launching', 5],
          ['deploying', 4.5],
          ['verifying', 2],
          ['ready', 1.5],
        ]),
        [
          ['launching', 5, 4.5, false],
          ['deploying', 4.5, 2, false],
          ['verifying', 2, 1.5, false],
          ['ready', 1.5, 0, true],
        ],
      ],
      [
        'deleted: ends at the deletion, which draws no state of its own',
        instance('kf-master-1130-bbb', [
          ['launching', 10],
          ['failed', 9],
          ['deleting', 8],
          ['deleted', 7],
        ]),
        [
          ['launching', 10, 9, false],
          ['failed', 9, 8, false],
          ['deleting', 8, 7, false],
        ],
      ],
      [
        'unhealthy and back: every change kept; a repeated status folded into the first',
        instance('kf-master-1130-ccc', [
          ['ready', 6],
          ['ready', 5],
          ['unhealthy', 4],
          ['ready', 3],
        ]),
        [
          ['ready', 6, 4, false],
          ['unhealthy', 4, 3, false],
          ['ready', 3, 0, true],
        ],
      ],
      [
        'transitions out of order: sorted by time',
        instance('kf-master-1130-ddd', [
          ['deploying', 3],
          ['launching', 4],
        ]),
        [
          ['launching', 4, 3, false],
          ['deploying', 3, 0, true],
        ],
      ],
      [
        'a document written before transitions existed: from its times',
        makeDeployment({
          instance: 'kf-master-1130-eee',
          status: 'deleted',
          createdAt: hoursAgo(20),
          updatedAt: hoursAgo(2),
          verifyingAt: hoursAgo(19),
          readyAt: hoursAgo(18),
          deletingAt: hoursAgo(3),
          deletedAt: hoursAgo(2),
        }),
        [
          ['launching', 20, 19, false],
          ['verifying', 19, 18, false],
          ['ready', 18, 3, false],
          ['deleting', 3, 2, false],
        ],
      ],
      [
        'deleted without a deleted transition: ends at deletedAt',
        instance('kf-master-1130-fff', [['ready', 6]], { status: 'deleted', deletedAt: hoursAgo(1) }),
        [['ready', 6, 1, false]],
      ],
    ];
    for (const [name, deployment, expected] of cases) {
      it(name, () => assert.deepEqual(rows(deployment), expected));
    }

    it('lifeOf keeps a status that comes back after another', () => {
      const life = lifeOf(
        instance('kf-master-1130-ggg', [
          ['ready', 3],
          ['unhealthy', 2],
          ['ready', 1],
        ]),
      );
      assert.deepEqual(
        life.map((t) => t.status),
        ['ready', 'unhealthy', 'ready'],
      );
    });
  });

  describe('buildTimeline: bars in the window, on lanes', () => {
    it(`spans ${TIMELINE_HOURS} h back and ${TIMELINE_AHEAD_HOURS} h ahead of now`, () => {
      const timeline = buildTimeline(input({}));
      assert.equal(timeline.start.toISOString(), '2026-11-28T12:00:00.000Z');
      assert.equal(timeline.end.toISOString(), '2026-11-30T15:00:00.000Z');
      assert.equal(timeline.lanes, 0);
    });

    const windowCases: Array<[string, Deployment, [number, number] | null]> = [
      ['inside the window', instance('kf-a', [['ready', 10]]), [10, 0]],
      [
        'launched before the window, still alive: clipped to the window start',
        instance('kf-b', [['ready', 60]]),
        [48, 0],
      ],
      [
        'launched before the window, deleted inside it',
        instance('kf-c', [
          ['ready', 60],
          ['deleted', 30],
        ]),
        [48, 30],
      ],
      [
        'deleted before the window: no bar',
        instance('kf-d', [
          ['ready', 70],
          ['deleted', 50],
        ]),
        null,
      ],
      ['launched this instant: a bar at now', instance('kf-e', [['launching', 0]]), [0, 0]],
    ];
    for (const [name, deployment, expected] of windowCases) {
      it(name, () => {
        const bar = buildTimeline(input({ deployments: [deployment] })).bars[0];
        const got = bar
          ? [(NOW.getTime() - bar.from.getTime()) / HOUR, (NOW.getTime() - bar.to.getTime()) / HOUR]
          : null;
        assert.deepEqual(got, expected);
      });
    }

    it('puts bars that do not overlap on one lane, and overlapping ones on the next free lane', () => {
      const timeline = buildTimeline(
        input({
          deployments: [
            instance('kf-1', [
              ['ready', 40],
              ['deleted', 30],
            ]),
            instance('kf-2', [['ready', 35]]),
            instance('kf-3', [
              ['ready', 29],
              ['deleted', 20],
            ]),
            // Starts less than LANE_GAP_MS after kf-3 ends: not on its lane.
            instance('kf-4', [['ready', 20 - LANE_GAP_MS / HOUR / 2]]),
          ],
        }),
      );
      assert.deepEqual(
        timeline.bars.map((bar) => [bar.deployment.instance, bar.lane]),
        [
          ['kf-1', 0],
          ['kf-2', 1],
          ['kf-3', 0],
          ['kf-4', 2],
        ],
      );
      assert.equal(timeline.lanes, 3);
    });

    it('keeps 30 instances in 48 hours (each living 6 h) on a few lanes', () => {
      const deployments = Array.from({ length: 30 }, (_, i) =>
        instance(`kf-master-1130-${String(i).padStart(3, '0')}`, [
          ['launching', 47 - i * 1.5],
          ['ready', 46.5 - i * 1.5],
          ['deleted', Math.max(41 - i * 1.5, 0.1)],
        ]),
      );
      const timeline = buildTimeline(input({ deployments }));
      assert.equal(timeline.bars.length, 30);
      assert.ok(timeline.lanes <= 5, `${timeline.lanes} lanes`);
      for (const lane of new Set(timeline.bars.map((bar) => bar.lane))) {
        const onLane = timeline.bars.filter((bar) => bar.lane === lane);
        onLane.slice(1).forEach((bar, i) => {
          assert.ok(bar.from.getTime() - (onLane[i]?.to.getTime() ?? 0) >= LANE_GAP_MS);
        });
      }
    });

    it("draws each instance's leases within its bar, from createdAt to closedAt or expiresAt", () => {
      const d = instance('kf-l', [
        ['ready', 10],
        ['deleted', 2],
      ]);
      const timeline = buildTimeline(
        input({
          deployments: [d],
          leases: [
            makeLease({ leaseId: 'closed', instance: 'kf-l', createdAt: hoursAgo(9), closedAt: hoursAgo(8) }),
            makeLease({ leaseId: 'open', instance: 'kf-l', createdAt: hoursAgo(3), expiresAt: hoursAgo(-1) }),
            makeLease({ leaseId: 'other', instance: 'kf-x', createdAt: hoursAgo(3) }),
          ],
        }),
      );
      const spans = timeline.bars[0]?.leases.map((span) => [
        span.lease.leaseId,
        (NOW.getTime() - span.from.getTime()) / HOUR,
        (NOW.getTime() - span.to.getTime()) / HOUR,
      ]);
      assert.deepEqual(spans, [
        ['closed', 9, 8],
        ['open', 3, 2],
      ]);
    });

    it('keeps the pushes in the window, oldest first', () => {
      const push = (sha: string, ago: number): PushView => ({
        version: 'master',
        sha,
        message: 'm',
        author: null,
        at: hoursAgo(ago),
      });
      const timeline = buildTimeline(input({ pushes: [push('b', 1), push('old', 49), push('a', 5)] }));
      assert.deepEqual(
        timeline.pushes.map((p) => p.sha),
        ['a', 'b'],
      );
    });

    const nextCases: Array<[string, Date | null, Date | null]> = [
      ['ahead: where it is', hoursAgo(-0.5), hoursAgo(-0.5)],
      ['already due: at now', hoursAgo(1), NOW],
      ['none planned', null, null],
    ];
    for (const [name, given, expected] of nextCases) {
      it(`the next deploy, ${name}`, () => {
        assert.deepEqual(buildTimeline(input({ nextDeploy: given })).nextDeploy, expected);
      });
    }
  });

  describe('nextDeployOf', () => {
    const until = hoursAgo(-1);
    const cases: Array<[string, VersionDecision | null, Date | null]> = [
      [
        'a deploy: its notBefore',
        { kind: 'deploy', version: 'm', commit: SHA, reason: 'new-commit', notBefore: until },
        until,
      ],
      [
        'a deploy its pass launched already: none (its bar shows it)',
        { kind: 'deploy', version: 'm', commit: SHA, reason: 'new-commit', notBefore: until, launched: true },
        null,
      ],
      ['a rate-limited wait: until', { kind: 'wait', version: 'm', reason: 'rate-limited', until }, until],
      ['up to date: none', { kind: 'wait', version: 'm', reason: 'up-to-date' }, null],
      ['not planned yet: none', null, null],
    ];
    for (const [name, decision, expected] of cases) {
      it(name, () => assert.deepEqual(nextDeployOf(decision), expected));
    }
  });

  describe('renderTimelineSvg', () => {
    const evil = '<script>alert(1)</script>';
    const deployments = [
      instance('kf-master-1130-aaa', [
        ['launching', 20],
        ['deploying', 19.5],
        ['failed', 18],
        ['deleting', 17],
        ['deleted', 16],
      ]),
      instance('kf-master-1130-bbb', [
        ['launching', 6],
        ['deploying', 5.5],
        ['verifying', 4],
        ['ready', 3.5],
      ]),
      instance(`kf-${evil}`, [['ready', 2]]),
    ];
    const svg = renderTimelineSvg(
      buildTimeline(
        input({
          deployments,
          leases: [
            makeLease({
              leaseId: 'l-1',
              instance: 'kf-master-1130-bbb',
              owner: `ci ${evil}`,
              createdAt: hoursAgo(2),
            }),
          ],
          pushes: [
            { version: 'master', sha: SHA, message: `fix ${evil}\nbody`, author: 'jane', at: hoursAgo(6.2) },
          ],
          nextDeploy: hoursAgo(-0.5),
        }),
      ),
      'Instances of master over the last 48 hours',
    ).value;

    it('draws one bar per instance, one rect per state, filled with the state colour', () => {
      assert.equal(svg.match(/<g class="bar"/g)?.length, 3);
      const segments = [...svg.matchAll(/<rect class="segment" data-state="([a-z-]+)"[^>]* fill="([^"]+)"/g)];
      assert.equal(segments.length, 9);
      for (const [, state, fill] of segments) assert.equal(fill, STATE_COLOURS[state as DeploymentStatus]);
    });

    it('gives each state a tooltip with the instance, the commit, the state and its times', () => {
      assert.ok(
        svg.includes(
          '<title>kf-master-1130-bbb (commit abcdef1): verifying from 08:00 UTC (4 h ago) to 08:30 UTC (3 h 30 min ago), 30 min</title>',
        ),
        svg,
      );
      assert.ok(
        svg.includes(
          'kf-master-1130-bbb (commit abcdef1): ready from 08:30 UTC (3 h 30 min ago) to now, 3 h 30 min',
        ),
      );
    });

    it('draws leases on top of their bar, the pushes, the next deploy dashed, and now', () => {
      assert.match(
        svg,
        new RegExp(
          `<rect class="lease" data-lease="l-1"[^>]* fill="${LEASE_COLOUR}"><title>lease by ci &lt;script&gt;`,
        ),
      );
      assert.match(
        svg,
        /<g class="push" data-sha="abcdef1[0-9a-f]+"><title>push: abcdef1 by jane, 05:48 UTC \(6 h 12 min ago\): fix &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/,
      );
      assert.match(
        svg,
        /<g class="next-deploy"><title>next planned deploy: 12:30 UTC \(in 30 min\)<\/title><line[^>]*stroke-dasharray=/,
      );
      assert.match(svg, /<line class="now"/);
    });

    it('escapes every user text: no markup from instance names, owners or messages', () => {
      assert.doesNotMatch(svg, /<script/);
      assert.ok(svg.includes('kf-&lt;script&gt;alert(1)&lt;/script&gt;'));
    });

    it('labels a bar inside it when the name fits', () => {
      assert.match(svg, /<text class="label"[^>]*>1130-bbb<\/text>/);
    });

    it('says so when no instance lived in the window', () => {
      const empty = renderTimelineSvg(buildTimeline(input({})), 'x').value;
      assert.match(empty, /No instance in the last 48 hours/);
      assert.doesNotMatch(empty, /class="bar"/);
    });

    it('puts a next deploy beyond the picture at its right edge, with an arrow', () => {
      const far = renderTimelineSvg(buildTimeline(input({ nextDeploy: hoursAgo(-10) })), 'x').value;
      assert.match(far, /next →<\/text>/);
    });
  });
});
