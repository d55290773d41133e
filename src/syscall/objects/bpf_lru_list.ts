// The LRU lists of BPF_MAP_TYPE_LRU_HASH / LRU_PERCPU_HASH (kernel/bpf/bpf_lru_list.c), modelled
// node for node so that a deterministic sequence of updates evicts the keys the kernel evicts.
// CONFIRMED by source reading, and OBSERVED against this machine's 6.18.44 kernel
// (test/transcripts/kernel-6.18.44/map_lru.json).
//
// What is modelled:
// - Every preallocated element has one node. A node is on exactly one list: the global (or, with
//   BPF_F_NO_COMMON_LRU, per-CPU) active, inactive or free list, or a CPU's local free or pending
//   list (common LRU only). Lists are doubly linked with a sentinel, so list_add / list_move /
//   reverse walks behave as in <linux/list.h>.
// - Common LRU: bpf_lru_populate puts every node on the global free list; a pop takes from the
//   CPU's local free list, refilled by bpf_lru_list_pop_free_to_local (flush the local pending list
//   into active/inactive by the ref bit, rotate, move up to target_free nodes from the global free
//   list, shrink the inactive list for the rest, force-shrink when nothing could be freed), then
//   steals from other CPUs' local free and pending lists round robin. target_free is
//   clamp(nr_elems / num_possible_cpus / 2, 1, 128) (the 2025 "Adjust free target" change, present
//   in 6.18; earlier kernels used 128).
// - Per-CPU LRU: each CPU gets nr_elems / num_possible_cpus nodes; a pop rotates, shrinks up to 4
//   nodes when the free list is empty, and moves the node to the head of the inactive list.
// - Rotation: the active list is rotated (tail → head if referenced, else → inactive) only when
//   the inactive list is shorter; the inactive list is always rotated from next_inactive_rotation.
//   At most nr_scans nodes are scanned (128 common, 4 per-CPU).
// - The ref bit: set by BPF-side lookups (bpf_lru_node_set_ref) and by an update that replaces an
//   existing key; cleared whenever a node moves. Syscall lookups do not set it.
// What is not: concurrency (locks never contend; del_from_htab always succeeds, as it does when a
// single CPU runs everything — bpfsig runs syscalls and programs on CPU 0).

export const enum LruListType {
  ACTIVE = 0,
  INACTIVE = 1,
  FREE = 2,
  LOCAL_FREE = 3,
  LOCAL_PENDING = 4,
}

const LOCAL_FREE_TARGET = 128;
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

/** A list link; a list's head is a sentinel link. */
class Link {
  prev: Link = this;
  next: Link = this;
}

export class LruNode<T = unknown> extends Link {
  type: LruListType = LruListType.FREE;
  ref = 0;
  cpu = 0;
  constructor(readonly elem: T) {
    super();
  }
}

function listDel(n: Link): void {
  n.prev.next = n.next;
  n.next.prev = n.prev;
  n.prev = n;
  n.next = n;
}

/** list_add: insert right after head. */
function listAdd(n: Link, head: Link): void {
  n.next = head.next;
  n.prev = head;
  head.next.prev = n;
  head.next = n;
}

function listMove(n: Link, head: Link): void {
  listDel(n);
  listAdd(n, head);
}

const isLocal = (t: LruListType) => t >= LruListType.LOCAL_FREE;

class LruList {
  /** active, inactive, free */
  readonly lists: [Link, Link, Link] = [new Link(), new Link(), new Link()];
  readonly counts = [0, 0];
  nextInactiveRotation: Link = this.lists[LruListType.INACTIVE];
}

class LocalList {
  readonly free = new Link();
  readonly pending = new Link();
  constructor(public nextSteal: number) {}
}

export interface BpfLruOptions<T> {
  readonly percpu: boolean;
  readonly nrCpus: number;
  /** htab_lru_map_delete_node: unlink the element from its bucket; false if it was not there. */
  readonly delFromHtab: (node: LruNode<T>) => boolean;
}

export class BpfLru<T> {
  readonly percpu: boolean;
  readonly nrScans: number;
  targetFree = LOCAL_FREE_TARGET;
  private readonly nrCpus: number;
  private readonly del: (node: LruNode<T>) => boolean;
  private readonly common = new LruList();
  private readonly local: LocalList[];
  private readonly percpuLists: LruList[];

  constructor(opts: BpfLruOptions<T>) {
    this.percpu = opts.percpu;
    this.nrCpus = opts.nrCpus;
    this.del = opts.delFromHtab;
    this.nrScans = opts.percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
    this.local = Array.from({ length: opts.nrCpus }, (_, cpu) => new LocalList(cpu));
    this.percpuLists = opts.percpu ? Array.from({ length: opts.nrCpus }, () => new LruList()) : [];
  }

  /** bpf_lru_populate: every node onto the free list(s), in element order. */
  populate(nodes: readonly LruNode<T>[]): void {
    if (!this.percpu) {
      for (const n of nodes) {
        n.type = LruListType.FREE;
        n.ref = 0;
        listAdd(n, this.common.lists[LruListType.FREE]);
      }
      this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nodes.length / this.nrCpus) / 2), 1), LOCAL_FREE_TARGET);
      return;
    }
    const pcpu = Math.floor(nodes.length / this.nrCpus);
    let i = 0;
    for (let cpu = 0; cpu < this.nrCpus && i < nodes.length; cpu++) {
      const l = this.percpuLists[cpu]!;
      do {
        const n = nodes[i]!;
        n.cpu = cpu;
        n.type = LruListType.FREE;
        n.ref = 0;
        listAdd(n, l.lists[LruListType.FREE]);
        i++;
      } while (i < nodes.length && i % pcpu);
    }
  }

  static setRef(node: LruNode): void {
    if (!node.ref) node.ref = 1;
  }

  // ---- list primitives (bpf_lru_list.c) ----

  private countInc(l: LruList, t: LruListType): void {
    if (t < 2) l.counts[t]!++;
  }

  private countDec(l: LruList, t: LruListType): void {
    if (t < 2) l.counts[t]!--;
  }

  private moveToFree(l: LruList, n: LruNode<T>, freeList: Link, tgt: LruListType): void {
    if (isLocal(n.type)) return;
    if (n === l.nextInactiveRotation) l.nextInactiveRotation = l.nextInactiveRotation.prev;
    this.countDec(l, n.type);
    n.type = tgt;
    listMove(n, freeList);
  }

  private moveIn(l: LruList, n: LruNode<T>, tgt: LruListType): void {
    if (!isLocal(n.type) || isLocal(tgt)) return;
    this.countInc(l, tgt);
    n.type = tgt;
    n.ref = 0;
    listMove(n, l.lists[tgt as 0 | 1 | 2]);
  }

  private move(l: LruList, n: LruNode<T>, tgt: LruListType): void {
    if (isLocal(n.type) || isLocal(tgt)) return;
    if (n.type !== tgt) {
      this.countDec(l, n.type);
      this.countInc(l, tgt);
      n.type = tgt;
    }
    n.ref = 0;
    if (n === l.nextInactiveRotation) l.nextInactiveRotation = l.nextInactiveRotation.prev;
    listMove(n, l.lists[tgt as 0 | 1 | 2]);
  }

  private rotateActive(l: LruList): void {
    const active = l.lists[LruListType.ACTIVE];
    const first = active.next;
    let i = 0;
    for (let n = active.prev, tmp = n.prev; n !== active; n = tmp, tmp = n.prev) {
      const node = n as LruNode<T>;
      this.move(l, node, node.ref ? LruListType.ACTIVE : LruListType.INACTIVE);
      if (++i === this.nrScans || n === first) break;
    }
  }

  private rotateInactive(l: LruList): void {
    const inactive = l.lists[LruListType.INACTIVE];
    if (inactive.next === inactive) return;
    let last = l.nextInactiveRotation.next;
    if (last === inactive) last = last.next;
    let cur = l.nextInactiveRotation;
    let next: Link = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = cur.prev;
        continue;
      }
      const node = cur as LruNode<T>;
      next = cur.prev;
      if (node.ref) this.move(l, node, LruListType.ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    l.nextInactiveRotation = next;
  }

  private shrinkInactive(l: LruList, tgt: number, freeList: Link, freeType: LruListType): number {
    const inactive = l.lists[LruListType.INACTIVE];
    let nshrinked = 0;
    let i = 0;
    for (let n = inactive.prev, tmp = n.prev; n !== inactive; n = tmp, tmp = n.prev) {
      const node = n as LruNode<T>;
      if (node.ref) {
        this.move(l, node, LruListType.ACTIVE);
      } else if (this.del(node)) {
        this.moveToFree(l, node, freeList, freeType);
        if (++nshrinked === tgt) break;
      }
      if (++i === this.nrScans) break;
    }
    return nshrinked;
  }

  private rotate(l: LruList): void {
    if (l.counts[LruListType.INACTIVE]! < l.counts[LruListType.ACTIVE]!) this.rotateActive(l);
    this.rotateInactive(l);
  }

  private shrink(l: LruList, tgt: number, freeList: Link, freeType: LruListType): number {
    const n = this.shrinkInactive(l, tgt, freeList, freeType);
    if (n) return n;
    const inactive = l.lists[LruListType.INACTIVE];
    const force = inactive.next !== inactive ? inactive : l.lists[LruListType.ACTIVE];
    for (let c = force.prev, tmp = c.prev; c !== force; c = tmp, tmp = c.prev) {
      const node = c as LruNode<T>;
      if (this.del(node)) {
        this.moveToFree(l, node, freeList, freeType);
        return 1;
      }
    }
    return 0;
  }

  private localListFlush(l: LruList, loc: LocalList): void {
    for (let n = loc.pending.prev, tmp = n.prev; n !== loc.pending; n = tmp, tmp = n.prev) {
      const node = n as LruNode<T>;
      this.moveIn(l, node, node.ref ? LruListType.ACTIVE : LruListType.INACTIVE);
    }
  }

  private popFreeToLocal(loc: LocalList): void {
    const l = this.common;
    this.localListFlush(l, loc);
    this.rotate(l);
    let nfree = 0;
    const free = l.lists[LruListType.FREE];
    for (let n = free.next, tmp = n.next; n !== free; n = tmp, tmp = n.next) {
      this.moveToFree(l, n as LruNode<T>, loc.free, LruListType.LOCAL_FREE);
      if (++nfree === this.targetFree) break;
    }
    if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, loc.free, LruListType.LOCAL_FREE);
  }

  private addPending(loc: LocalList, cpu: number, node: LruNode<T>): void {
    node.cpu = cpu;
    node.type = LruListType.LOCAL_PENDING;
    node.ref = 0;
    listAdd(node, loc.pending);
  }

  private localPopFree(loc: LocalList): LruNode<T> | null {
    const n = loc.free.next;
    if (n === loc.free) return null;
    listDel(n);
    return n as LruNode<T>;
  }

  private localPopPending(loc: LocalList): LruNode<T> | null {
    for (const force of [false, true]) {
      for (let n = loc.pending.prev; n !== loc.pending; n = n.prev) {
        const node = n as LruNode<T>;
        if ((!node.ref || force) && this.del(node)) {
          listDel(node);
          return node;
        }
      }
    }
    return null;
  }

  private percpuPopFree(cpu: number): LruNode<T> | null {
    const l = this.percpuLists[cpu]!;
    this.rotate(l);
    const free = l.lists[LruListType.FREE];
    if (free.next === free) this.shrink(l, PERCPU_FREE_TARGET, free, LruListType.FREE);
    if (free.next === free) return null;
    const node = free.next as LruNode<T>;
    node.ref = 0;
    this.move(l, node, LruListType.INACTIVE);
    return node;
  }

  private commonPopFree(cpu: number): LruNode<T> | null {
    const loc = this.local[cpu]!;
    let node = this.localPopFree(loc);
    if (!node) {
      this.popFreeToLocal(loc);
      node = this.localPopFree(loc);
    }
    if (node) {
      this.addPending(loc, cpu, node);
      return node;
    }
    const first = loc.nextSteal;
    let steal = first;
    do {
      const s = this.local[steal]!;
      node = this.localPopFree(s) ?? this.localPopPending(s);
      steal = (steal + 1) % this.nrCpus;
    } while (!node && steal !== first);
    loc.nextSteal = steal;
    if (node) this.addPending(loc, cpu, node);
    return node;
  }

  /** bpf_lru_pop_free: a node for a new element (evicting others if needed), or null. */
  popFree(cpu: number): LruNode<T> | null {
    return this.percpu ? this.percpuPopFree(cpu) : this.commonPopFree(cpu);
  }

  /** bpf_lru_push_free: an element's node goes back to a free list. */
  pushFree(node: LruNode<T>): void {
    if (this.percpu) {
      this.move(this.percpuLists[node.cpu]!, node, LruListType.FREE);
      return;
    }
    if (node.type === LruListType.FREE || node.type === LruListType.LOCAL_FREE) return;
    if (node.type === LruListType.LOCAL_PENDING) {
      node.type = LruListType.LOCAL_FREE;
      node.ref = 0;
      listMove(node, this.local[node.cpu]!.free);
      return;
    }
    this.move(this.common, node, LruListType.FREE);
  }
}
