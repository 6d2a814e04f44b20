---------------------------- MODULE ElasticQueue ----------------------------
(***************************************************************************)
(* The lock-free engine of elasticq (`LockFreeQueue`, mod.rs, resize.rs,   *)
(* segment.rs of elasticq-runtime/src/engine/lock_free) at the             *)
(* granularity of its atomic steps: every load, compare-exchange, fetch-op *)
(* and store on shared memory is one step of its own; what a thread then   *)
(* computes from the values it loaded (comparisons, `count`, `advance`,    *)
(* the sizing of `successor_capacity` and `Config`) happens inside that    *)
(* step, since it touches no shared memory.                                *)
(*                                                                         *)
(* A ring is replaced in two steps that any thread may take: a seal        *)
(* (`fetch_or` of the tail word's seal bit) by the thread that decided to  *)
(* grow, shrink or restore, then a link (`compare_exchange` of `next` from *)
(* null) by whichever thread first meets the sealed ring with no successor *)
(* (resize.rs: link_successor). What the chain holds against the maximum   *)
(* is not a counter but a walk of the chain from `head` (resize.rs: held): *)
(* an open ring counts its capacity, a sealed one what it still holds.     *)
(*                                                                         *)
(* Each action names, in its comment, the Rust function and the statement  *)
(* (file:line) it models, in mod.rs, resize.rs and segment.rs of           *)
(* elasticq-runtime/src/engine/lock_free.                                  *)
(*                                                                         *)
(* Memory reclamation (reclaim/) is abstract: `retire` hands a ring to the *)
(* collector, which may free it once every thread pinned at that moment    *)
(* has unpinned (`pins`); SafeReclamation checks no thread touches it then.*)
(*                                                                         *)
(* Not modelled: `close` and the `closed` flag, the wait queues            *)
(* (`pop_waiters`/`push_waiters` only wake sleepers; here producers and    *)
(* consumers poll), the statistics (`rejected`, `resizes`, `base`, so the  *)
(* value `final_count` loads is not kept), the batch calls (a loop of the  *)
(* same `push_pinned`/`pop_pinned` under one pin), `limbo.collect` and    *)
(* `collect_when_idle` with its `idle_pops` counter (the freeing itself),  *)
(* the allocation and freeing of a successor that loses                    *)
(* the link's compare-exchange (private memory: the loser's ring is never  *)
(* published, so the model only allocates on a successful link), spurious  *)
(* failures of `compare_exchange_weak` (a failure that returns the         *)
(* expected value leaves the thread where it was, a stutter), and memory   *)
(* orderings weaker than SeqCst: the model is sequentially consistent, the *)
(* loom models cover the orderings.                                        *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    NProducers,          \* producer threads
    NConsumers,          \* consumer threads
    MsgsPerProducer,     \* messages each producer pushes, in order, except producer 1:
    FirstProducerMsgs,   \* the messages producer 1 pushes
    InitCap,             \* Config::initial_capacity
    MinCap,              \* Config::min_capacity
    MaxCap,              \* Config::max_capacity
    Growth,              \* Config::growth_factor (an integer here)
    ShrinkNum, ShrinkDen, \* Config::shrink_threshold = ShrinkNum / ShrinkDen
    ShrinkCheckInterval, \* SHRINK_CHECK_INTERVAL (mod.rs:81): 64, or 1 under loom
    SeedOrder,           \* FALSE: the engine as written. TRUE: the negative check, the
                         \* seed crate's order (a consumer trusts the tail index, not the
                         \* slot's stamp, and may read a reserved slot before it is written)
    MayStop,             \* the threads that may stop for good (at most one of them does);
                         \* {} for none
    StopInSlot           \* FALSE: a thread may stop at any step except between a slot's
                         \* claim and its stamp store (the ring's own wait, see README.md);
                         \* TRUE: there too

ASSUME /\ NProducers \in Nat \ {0} /\ NConsumers \in Nat \ {0}
       /\ MsgsPerProducer \in Nat \ {0} /\ FirstProducerMsgs \in Nat \ {0}
       /\ MinCap \in Nat \ {0} /\ MinCap <= InitCap /\ InitCap <= MaxCap   \* Config::validate
       /\ Growth \in Nat /\ Growth > 1
       /\ ShrinkNum \in Nat \ {0} /\ ShrinkDen \in Nat /\ ShrinkNum < ShrinkDen
       /\ ShrinkCheckInterval \in Nat \ {0}
       /\ SeedOrder \in BOOLEAN /\ StopInSlot \in BOOLEAN

Producers == 1..NProducers
Consumers == (NProducers + 1)..(NProducers + NConsumers)
Procs     == Producers \cup Consumers
ASSUME MayStop \subseteq Procs
Pushes(p) == IF p = 1 THEN FirstProducerMsgs ELSE MsgsPerProducer   \* producer p's messages
Msgs      == UNION {{p} \X (1..Pushes(p)) : p \in Producers}   \* <<producer, sequence number>>
NoMsg     == <<0, 0>>                             \* an uninitialised / moved-out cell
Null      == 0                                    \* the null segment pointer
NoStop    == 0                                    \* `stopped` while no thread has stopped

(* ---- Segment arithmetic, as in segment.rs ---- *)
SEALED == 65536            \* the top bit of the tail word (segment.rs:23), scaled down
Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b
Sat(a) == Max(a, 0)        \* usize::saturating_sub
RECURSIVE Pow2AtLeast(_, _)
Pow2AtLeast(n, k) == IF k >= n THEN k ELSE Pow2AtLeast(n, 2 * k)
OneLap(c) == Pow2AtLeast(c + 1, 1)                 \* (cap + 1).next_power_of_two() (segment.rs:72)
Pos(w) == w % SEALED                               \* tail & !SEALED
IsSealed(w) == w >= SEALED                         \* tail & SEALED != 0
Idx(c, p) == p % OneLap(c)                         \* position & (one_lap - 1)
Advance(c, p) ==                                   \* Segment::advance (segment.rs:128-135)
    IF Idx(c, p) + 1 < c THEN p + 1 ELSE (p - Idx(c, p)) + OneLap(c)
Count(c, w) == (Pos(w) \div OneLap(c)) * c + Idx(c, Pos(w))   \* Segment::count (segment.rs:138-142)
(* What a sealed ring still holds, from its tail word w and head word h:              *)
(* `count(tail).saturating_sub(popped()).min(cap)` (Segment::holds, segment.rs:100-102,  *)
(* and len_if_open, segment.rs:167-168).                                               *)
Left(c, w, h) == Min(Sat(Count(c, w) - Count(c, h)), c)

(* ---- Config sizing (config.rs: grown, shrunk, should_shrink) ---- *)
CeilDiv(a, b) == (a + b - 1) \div b
Grown(c) == Max(c * Growth, c + 1)
ShouldShrink(c, len) == c > MinCap /\ len * ShrinkDen <= ShrinkNum * c
RECURSIVE Shrunk(_, _)
Shrunk(t, len) ==
    IF ~ShouldShrink(t, len) THEN t
    ELSE LET smaller == Max(Max(Min(CeilDiv(t, Growth), t - 1), MinCap), len)
         IN IF smaller >= t THEN t ELSE Shrunk(smaller, len)
(* LockFreeQueue::successor_capacity (resize.rs:122-131). *)
SuccessorCapacity(c, holds) ==
    IF holds >= c THEN Max(Grown(c), MinCap)
    ELSE IF ShouldShrink(c, holds) THEN Shrunk(c, holds)
    ELSE Max(c, MinCap)

(* Segment::new (segment.rs:70-90): stamps 0..cap-1, head = tail = 0, next null. *)
NewSeg(c) == [cap |-> c, head |-> 0, tail |-> 0,
              stamp |-> [i \in 0..(c - 1) |-> i],
              val |-> [i \in 0..(c - 1) |-> NoMsg],
              next |-> Null]

VARIABLES
    segs,       \* every segment ever linked, by id (link order); chain order = id order
    qhead,      \* LockFreeQueue::head (mod.rs:129)
    qtail,      \* LockFreeQueue::tail (mod.rs:130)
    lc,         \* per thread: pc and the locals of the Rust functions it is in
    stopped,    \* the thread that stopped for good, or NoStop
    \* ghost state, for the properties only
    sent,       \* producer -> how many of its pushes returned Ok
    delivered,  \* message -> how many times a consumer read it out of a slot
    claimHi,    \* producer -> highest sequence number claimed (head CAS) so far
    fifoOK,     \* no claim went backwards in a producer's order
    assertOK,   \* the debug_asserts of the code held (see DebugAsserts)
    emptyRead,  \* a consumer read a value cell that held no message
    atMax,      \* producer -> the queue held MaxCap messages at some step of the check
                \* now deciding whether its push is refused
    fullOK,     \* every push refused (Full) so far was refused with atMax
    retired,    \* segments handed to the limbo (reclaim: retire)
    pins        \* <<s, p>>: p was pinned when s was retired (the limbo keeps s for p)

core == <<segs, qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
vars == <<segs, qhead, qtail, lc, stopped, sent, delivered, claimHi, fifoOK, assertOK,
          emptyRead, atMax, fullOK, retired, pins>>

(* Locals: cur = `current` (the segment a push/pop works on), loc = the local `tail`  *)
(* (push) or `head` (pop) position word, v = a tail word loaded, rs = the `segment`    *)
(* argument of successor / link_successor / shrink_if_sparse / restore_if_short,       *)
(* nxt = the successor they found or linked, an = advance_head's `next`, w and sum =   *)
(* held's `current` and `held`, len = `len` of len_if_open (restore_if_short) or the   *)
(* link's capacity; retS, retR, retA, retH = where successor, the resize calls,        *)
(* advance_head and held return to.                                                    *)
Idle(pcv) == [pc |-> pcv, cur |-> Null, loc |-> 0, v |-> 0, rs |-> Null, nxt |-> Null,
              an |-> Null, w |-> Null, sum |-> 0, len |-> 0,
              retS |-> "", retR |-> "", retA |-> "", retH |-> ""]
Outside == {"P_push", "C_pop", "Done"}       \* between calls: not pinned
InOp(p) == lc[p].pc \notin Outside           \* inside push()/pop(): pinned
Freed(s) == s \in retired /\ ~\E x \in pins : x[1] = s
AllDelivered == \A m \in Msgs : delivered[m] > 0
Terminated == \A p \in Procs : lc[p].pc = "Done"

Init ==
    /\ segs = << NewSeg(InitCap) >>
    /\ qhead = 1 /\ qtail = 1                          \* LockFreeQueue::new (mod.rs:185-192)
    /\ lc = [p \in Procs |-> Idle(IF p \in Producers THEN "P_push" ELSE "C_pop")]
    /\ stopped = NoStop
    /\ sent = [p \in Producers |-> 0]
    /\ delivered = [m \in Msgs |-> 0]
    /\ claimHi = [p \in Producers |-> 0]
    /\ fifoOK = TRUE /\ assertOK = TRUE /\ emptyRead = FALSE
    /\ atMax = [p \in Producers |-> FALSE] /\ fullOK = TRUE
    /\ retired = {} /\ pins = {}

(* The messages queued: claimed by a producer (tail CAS), not yet by a consumer (head *)
(* CAS), over the chain from head.                                                    *)
Held(s) == Count(segs[s].cap, segs[s].tail) - Count(segs[s].cap, segs[s].head)
RECURSIVE HeldFrom(_)
HeldFrom(s) == IF s > Len(segs) THEN 0 ELSE Held(s) + HeldFrom(s + 1)
Queued == HeldFrom(qhead)

Set(self, r) == lc' = [lc EXCEPT ![self] = r]
Me(self) == lc[self]

(***************************************************************************)
(* Returns. They end a call: the guard is dropped (unpin, done in Frame)   *)
(* and the locals are forgotten.                                            *)
(***************************************************************************)
(* push returned Err(Full) (mod.rs:243-245): the producer tries again, as        *)
(* push_timeout's wait loop does (mod.rs:506-518), re-pinning each time.        *)
PushFull(self) == Set(self, Idle("P_push"))
(* pop returned Some (mod.rs:344): the consumer pops again. *)
PopSome(self) == Set(self, Idle("C_pop"))
(* pop returned None (mod.rs:356, or mod.rs:361's `?`): the consumer pops again, or    *)
(* stops once every message has been popped (as a drain loop does): a finished run is *)
(* a legitimate end state.                                                             *)
PopNone(self) == Set(self, Idle(IF AllDelivered THEN "Done" ELSE "C_pop"))

(* advance_head returns `n` (resize.rs:237 or resize.rs:239) to its caller: the         *)
(* Exhausted branch of pop_pinned pops from it (`current = self.advance_head(..)`,      *)
(* mod.rs:362); retire_if_exhausted (resize.rs:199) ignores it and the pop returns Some *)
(* (mod.rs:338,344).                                                                    *)
AdvReturn(self, n) ==
    IF Me(self).retA = "exh"
    THEN Set(self, [Idle("C_segLoadHead") EXCEPT !.cur = n])
    ELSE PopSome(self)

(* shrink_if_sparse / restore_if_short return to their caller: pop_pinned's Ok branch  *)
(* returns Some (mod.rs:342-344), its Empty branch None (mod.rs:350-356), advance_head *)
(* returns `next` (resize.rs:233-237).                                                  *)
ResizeReturn(self) ==
    CASE Me(self).retR = "pop_some" -> PopSome(self)
      [] Me(self).retR = "pop_none" -> PopNone(self)
      [] Me(self).retR = "adv"      -> AdvReturn(self, Me(self).an)

(* successor returned Some(n) (resize.rs:73): push_pinned moves on to it              *)
(* (mod.rs:283); pop_pinned's Exhausted branch calls advance_head(current, n)        *)
(* (mod.rs:361-362); shrink_if_sparse / restore_if_short ignore it (replace,   *)
(* resize.rs:182) and return.                                                        *)
SuccSome(self, n) ==
    LET me == Me(self)
    IN CASE me.retS = "push" -> Set(self, [Idle("P_segLoadTail") EXCEPT !.cur = n])
         [] me.retS = "exh"  -> Set(self, [Idle("A_casTail") EXCEPT !.cur = me.cur, !.an = n,
                                                                    !.retA = "exh"])
         [] me.retS = "resize" -> ResizeReturn(self)

(* successor returned None: link_successor found no room (resize.rs:68's `?`):         *)
(* push_pinned returns Err (mod.rs:284), pop_pinned returns None (mod.rs:361's `?`),   *)
(* the resize calls return.                                                            *)
SuccNone(self) ==
    CASE Me(self).retS = "push" -> PushFull(self)
      [] Me(self).retS = "exh"  -> PopNone(self)
      [] Me(self).retS = "resize" -> ResizeReturn(self)

(* Calls. *)
(* successor(current, segment) with segment rs (resize.rs:60-74). *)
CallSuccessor(self, r, rs, seg) ==
    Set(self, [r EXCEPT !.pc = "N_loadNext", !.rs = seg, !.retS = rs])
(* held (resize.rs:22-36), returning to retH. *)
CallHeld(self, r, rh) == Set(self, [r EXCEPT !.pc = "H_head", !.retH = rh])

(* The steps of a push's decisive check whether it is refused: in seal_full, from the    *)
(* load that finds its ring full (segment.rs:228) through is_sealed and the walk to its  *)
(* `held >= max` (resize.rs:41-52); in link_successor, the walk to its `room == 0`       *)
(* (resize.rs:80-87), which starts afresh at its head load. The check is not one step:   *)
(* the walk reads one ring at a time and counts an open ring at its capacity, so         *)
(* FullOnlyAtMax asks for MaxCap queued at one of these steps, not at the last one (a    *)
(* pop during the walk of a full single ring is no early Full; see README.md).          *)
CheckPcs == {"F_isSealed", "H_head", "H_tail", "H_popped", "H_next"}
AtMaxNow == Queued = MaxCap

(* The last conjunct of every action of thread self: the thread has not stopped, and   *)
(* what the step also does to the ghost and reclamation state:                           *)
(*  pins: a ring retired in this step is kept for every thread pinned now; a call that   *)
(*    ends drops its guard (push mod.rs:237, pop mod.rs:308).                             *)
(*  atMax: whether one of the steps of the current decisive check saw MaxCap queued      *)
(*    (each step evaluates Queued in the state it reads).                                 *)
(*  fullOK: a push that returns Full (back to P_push without a new Ok) had atMax.         *)
Frame(self) ==
    LET me == lc[self]
        nx == lc'[self]
        kept == pins \cup {<<s, q>> : s \in retired' \ retired, q \in {q \in Procs : InOp(q)}}
        seen == IF me.pc = "P_decide" \/ (me.pc = "H_head" /\ me.retH = "link")
                THEN AtMaxNow
                ELSE atMax[self] \/ AtMaxNow
        checking == self \in Producers /\ (me.pc \in CheckPcs \/ me.pc = "P_decide")
        refused == self \in Producers /\ me.pc # "P_push" /\ nx.pc = "P_push" /\ sent' = sent
    IN /\ stopped # self
       /\ pins' = IF nx.pc \in Outside THEN {x \in kept : x[2] # self} ELSE kept
       /\ atMax' = IF self \in Producers
                   THEN [atMax EXCEPT ![self] = checking /\ nx.pc \in CheckPcs /\ seen]
                   ELSE atMax
       /\ fullOK' = (fullOK /\ (refused => (checking /\ seen)))
       /\ UNCHANGED stopped

(***************************************************************************)
(*                              PRODUCERS                                  *)
(***************************************************************************)
Msg(self) == <<self, sent[self] + 1>>

(* push: `let guard = reclaim::pin();` (mod.rs:235) and push_pinned's                *)
(* `let mut current = self.tail.load(Ordering::Acquire);` (mod.rs:260).              *)
(* Not modelled: the room gate (room.rs). For each ring it loads, push_pinned hands  *)
(* the value back when the ring is gated (mod.rs:267-271), and the push is admitted  *)
(* against max_capacity (a counter shared with held places) before it pushes; and    *)
(* link_successor loads `armed` to gate the successor (resize.rs:96-98). The queue   *)
(* modelled here never reserves and has no weight hook, byte bound or drop_oldest,   *)
(* so no ring is gated and that test (of a field fixed when the ring is made, no     *)
(* shared-memory step) is always false. Admission, held places, the arming seal and  *)
(* evictions are checked by the loom models in lock_free/room_loom_tests.rs.         *)
PushStart(self) ==
    /\ Me(self).pc = "P_push"
    /\ Set(self, [Idle("P_segLoadTail") EXCEPT !.cur = qtail])
    /\ UNCHANGED core
    /\ Frame(self)

(* After each load of the tail word, Segment::push's loop head checks the seal bit:    *)
(* `if tail & SEALED != 0 { return Err(Rejected::Sealed(value)) }` (segment.rs:192-194) *)
(* and push_pinned calls successor (mod.rs:274,282). A local test, folded into the     *)
(* step of the load.                                                                   *)
GotTail(self, w) ==
    LET me == Me(self)
    IN IF IsSealed(w)
       THEN CallSuccessor(self, [me EXCEPT !.loc = 0, !.v = 0], "push", me.cur)
       ELSE Set(self, [me EXCEPT !.pc = "P_loadStamp", !.loc = w, !.v = 0])

(* Segment::push: `let mut tail = self.tail.load(Ordering::Relaxed);` (segment.rs:190) *)
SegPushLoadTail(self) ==
    /\ Me(self).pc = "P_segLoadTail"
    /\ GotTail(self, segs[Me(self).cur].tail)
    /\ UNCHANGED core
    /\ Frame(self)

(* Segment::push: `let stamp = slot.stamp.load(Ordering::Acquire);` (segment.rs:196). *)
SegPushLoadStamp(self) ==
    LET me == Me(self)
        s  == segs[me.cur]
    IN /\ me.pc = "P_loadStamp"
       /\ Set(self, [me EXCEPT !.pc = "P_decide", !.v = s.stamp[Idx(s.cap, me.loc)]])
       /\ UNCHANGED core
       /\ Frame(self)

(* Segment::push, the three branches on the stamp (segment.rs:197-238):              *)
(*  stamp == tail: `self.tail.compare_exchange_weak(tail, self.advance(tail), ..)`    *)
(*     (segment.rs:201-206); Err(current) => `tail = current` (segment.rs:218-219).   *)
(*  stamp + one_lap == tail + 1: `let head = self.head.load(Ordering::SeqCst);`       *)
(*     (segment.rs:228); `head + one_lap == tail` => Err(Rejected::Full)              *)
(*     (segment.rs:229-230), and push_pinned calls seal_full (mod.rs:275-277);        *)
(*     otherwise `tail = self.tail.load(Ordering::Relaxed)` (segment.rs:233).         *)
(*  else: `tail = self.tail.load(Ordering::Relaxed)` (segment.rs:237).                *)
SegPushDecide(self) ==
    LET me == Me(self)
        c  == me.cur
        s  == segs[c]
        t  == me.loc
    IN /\ me.pc = "P_decide"
       /\ CASE me.v = t ->
                 IF s.tail = t
                 THEN /\ segs' = [segs EXCEPT ![c].tail = Advance(s.cap, t)]
                      /\ Set(self, [me EXCEPT !.pc = "P_write", !.v = 0])
                 ELSE /\ GotTail(self, s.tail)
                      /\ UNCHANGED segs
            [] me.v + OneLap(s.cap) = t + 1 ->
                 /\ IF s.head + OneLap(s.cap) = t
                    THEN Set(self, [me EXCEPT !.pc = "F_isSealed", !.loc = 0, !.v = 0])
                    ELSE Set(self, [me EXCEPT !.pc = "P_reloadTail", !.v = 0])
                 /\ UNCHANGED segs
            [] OTHER ->
                 /\ GotTail(self, s.tail)
                 /\ UNCHANGED segs
       /\ UNCHANGED <<qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* Segment::push, not full after all: `tail = self.tail.load(Ordering::Relaxed)`     *)
(* (segment.rs:233).                                                                 *)
SegPushReloadTail(self) ==
    /\ Me(self).pc = "P_reloadTail"
    /\ GotTail(self, segs[Me(self).cur].tail)
    /\ UNCHANGED core
    /\ Frame(self)

(* Segment::push: `cell.write(MaybeUninit::new(value))` (segment.rs:210-214). *)
SegPushWrite(self) ==
    LET me == Me(self)
        c  == me.cur
    IN /\ me.pc = "P_write"
       /\ segs' = [segs EXCEPT ![c].val[Idx(segs[c].cap, me.loc)] = Msg(self)]
       /\ Set(self, [me EXCEPT !.pc = "P_publish"])
       /\ UNCHANGED <<qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* Segment::push: `slot.stamp.store(tail + 1, Ordering::Release); return Ok(())`      *)
(* (segment.rs:215-216); push returns Ok (mod.rs:239-241) and drops the guard.         *)
SegPushPublish(self) ==
    LET me == Me(self)
        c  == me.cur
    IN /\ me.pc = "P_publish"
       /\ segs' = [segs EXCEPT ![c].stamp[Idx(segs[c].cap, me.loc)] = me.loc + 1]
       /\ sent' = [sent EXCEPT ![self] = @ + 1]
       /\ Set(self, Idle(IF sent[self] + 1 = Pushes(self) THEN "Done" ELSE "P_push"))
       /\ UNCHANGED <<qhead, qtail, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* seal_full: `if segment.is_sealed() { return true; }` (resize.rs:41-43; the load is  *)
(* segment.rs:172), and true sends push_pinned to successor (mod.rs:277,282);          *)
(* otherwise `let (held, last) = self.held(guard);` (resize.rs:47); a `last` that is  *)
(* not this ring means it was replaced meanwhile: true, to successor (resize.rs:48-50). *)
SealFullIsSealed(self) ==
    LET me == Me(self)
    IN /\ me.pc = "F_isSealed"
       /\ IF IsSealed(segs[me.cur].tail)
          THEN CallSuccessor(self, me, "push", me.cur)
          ELSE CallHeld(self, me, "seal_full")
       /\ UNCHANGED core
       /\ Frame(self)

(* seal_full: `segment.seal();` (resize.rs:54), Segment::seal's                     *)
(* `self.tail.fetch_or(SEALED, Ordering::SeqCst)` (segment.rs:178), then `true`     *)
(* (resize.rs:55): push_pinned calls successor (mod.rs:282).                         *)
SealFullSeal(self) ==
    LET me == Me(self)
        c  == me.cur
        prev == segs[c].tail
    IN /\ me.pc = "F_seal"
       /\ segs' = [segs EXCEPT ![c].tail = IF IsSealed(prev) THEN prev ELSE prev + SEALED]
       /\ CallSuccessor(self, me, "push", c)
       /\ UNCHANGED <<qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(***************************************************************************)
(*   held (resize.rs:22-36): the walk from head that sums what the chain   *)
(*   holds against the maximum; w = its `current`, sum = its `held`        *)
(***************************************************************************)
(* After the walk: `return (held, current)` (resize.rs:31-32), to                     *)
(*  seal_full: `if held >= max { return false; }` (resize.rs:51-52): push_pinned       *)
(*     returns Err, push returns Full (mod.rs:277-278); otherwise the seal.            *)
(*  link_successor: `if !ptr::eq(last, segment)` => load `next` (resize.rs:81-83);     *)
(*     `let room = max.saturating_sub(held); if room == 0 { return None; }`            *)
(*     (resize.rs:85-87); otherwise on to final_count (resize.rs:89).                  *)
(*  restore_if_short: `if !ptr::eq(last, segment) { return; }` (resize.rs:165-167);    *)
(*     `let others = held.saturating_sub(cap); let room = max.saturating_sub(others    *)
(*     + len); if room.min(min) <= cap { return; }` (resize.rs:169-173); otherwise     *)
(*     the seal (replace, resize.rs:174).                                                       *)
HeldDone(self) ==
    LET me == Me(self)
        r  == [me EXCEPT !.w = Null]
        held == me.sum
        last == me.w
    IN CASE me.retH = "seal_full" ->
              IF last # me.cur
              THEN CallSuccessor(self, [r EXCEPT !.sum = 0, !.retH = ""], "push", me.cur)
              ELSE IF held >= MaxCap THEN PushFull(self)
              ELSE Set(self, [r EXCEPT !.pc = "F_seal", !.sum = 0, !.retH = ""])
         [] me.retH = "link" ->
              IF last # me.rs THEN Set(self, [r EXCEPT !.pc = "K_loadNext", !.sum = 0, !.retH = ""])
              ELSE IF Sat(MaxCap - held) = 0 THEN SuccNone(self)
              ELSE Set(self, [r EXCEPT !.pc = "K_finalCount", !.retH = ""])  \* sum kept: held
         [] me.retH = "restore" ->
              LET cap == segs[me.rs].cap
                  room == Sat(MaxCap - (Sat(held - cap) + me.len))
              IN IF last # me.rs \/ Min(room, MinCap) <= cap
                 THEN ResizeReturn(self)
                 ELSE Set(self, [r EXCEPT !.pc = "X_seal", !.sum = 0, !.len = 0, !.retH = ""])

(* held: `let mut current = self.head.load(Ordering::SeqCst);` (resize.rs:24). *)
HeldHead(self) ==
    /\ Me(self).pc = "H_head"
    /\ Set(self, [Me(self) EXCEPT !.pc = "H_tail", !.w = qhead, !.sum = 0])
    /\ UNCHANGED core
    /\ Frame(self)

(* held: `held.saturating_add(segment.holds())` (resize.rs:29): Segment::holds'        *)
(* tail_state, `self.tail.load(Ordering::Acquire)` (segment.rs:96,156); not sealed =>  *)
(* `return self.cap` (segment.rs:97-99).                                               *)
HeldTail(self) ==
    LET me == Me(self)
        s  == segs[me.w]
    IN /\ me.pc = "H_tail"
       /\ IF IsSealed(s.tail)
          THEN Set(self, [me EXCEPT !.pc = "H_popped", !.v = s.tail])
          ELSE Set(self, [me EXCEPT !.pc = "H_next", !.sum = me.sum + s.cap])
       /\ UNCHANGED core
       /\ Frame(self)

(* held, a sealed ring: Segment::holds' `self.popped()`, `self.head.load(SeqCst)`       *)
(* (segment.rs:100,151), and `count(tail).saturating_sub(popped).min(cap)`             *)
(* (segment.rs:100-102).                                                                 *)
HeldPopped(self) ==
    LET me == Me(self)
        s  == segs[me.w]
    IN /\ me.pc = "H_popped"
       /\ Set(self, [me EXCEPT !.pc = "H_next", !.v = 0, !.sum = me.sum + Left(s.cap, me.v, s.head)])
       /\ UNCHANGED core
       /\ Frame(self)

(* held: `let next = segment.next.load(Ordering::SeqCst);` (resize.rs:30); null =>     *)
(* `return (held, current)` (resize.rs:31-33, HeldDone); else `current = next`         *)
(* (resize.rs:34).                                                                     *)
HeldNext(self) ==
    LET me == Me(self)
        n  == segs[me.w].next
    IN /\ me.pc = "H_next"
       /\ IF n # Null
          THEN Set(self, [me EXCEPT !.pc = "H_tail", !.w = n])
          ELSE HeldDone(self)
       /\ UNCHANGED core
       /\ Frame(self)

(***************************************************************************)
(*  successor (resize.rs:60-74) and link_successor (resize.rs:78-117) of   *)
(*  the sealed ring rs; any thread, producer or consumer                   *)
(***************************************************************************)
(* successor: `let mut next = segment.next.load(Ordering::Acquire);` (resize.rs:66);   *)
(* null => `self.link_successor(segment, guard)?` (resize.rs:67-68), whose             *)
(* `debug_assert!(segment.is_sealed())` (resize.rs:79) is checked here as a ghost, and *)
(* whose `let (held, last) = self.held(guard);` (resize.rs:80) starts.                 *)
SuccLoadNext(self) ==
    LET me == Me(self)
        n  == segs[me.rs].next
    IN /\ me.pc = "N_loadNext"
       /\ IF n # Null
          THEN /\ Set(self, [me EXCEPT !.pc = "N_casTail", !.nxt = n])
               /\ UNCHANGED assertOK
          ELSE /\ CallHeld(self, me, "link")
               /\ assertOK' = (assertOK /\ IsSealed(segs[me.rs].tail))
       /\ UNCHANGED <<segs, qhead, qtail, sent, delivered, claimHi, fifoOK, emptyRead, retired>>
       /\ Frame(self)

(* link_successor, linked meanwhile: `return Some(segment.next.load(Ordering::Acquire))` *)
(* (resize.rs:83). A null here would be dereferenced: a ghost assertion.                  *)
LinkLoadNext(self) ==
    LET me == Me(self)
        n  == segs[me.rs].next
    IN /\ me.pc = "K_loadNext"
       /\ Set(self, [me EXCEPT !.pc = "N_casTail", !.nxt = n])
       /\ assertOK' = (assertOK /\ n # Null)
       /\ UNCHANGED <<segs, qhead, qtail, sent, delivered, claimHi, fifoOK, emptyRead, retired>>
       /\ Frame(self)

(* link_successor: `let final_count = segment.final_count();` (resize.rs:89), the load  *)
(* `self.tail.load(Ordering::SeqCst)` (segment.rs:184). Its value only sets the        *)
(* successor's `base` (resize.rs:92), a statistic: not kept.                            *)
LinkFinalCount(self) ==
    /\ Me(self).pc = "K_finalCount"
    /\ Set(self, [Me(self) EXCEPT !.pc = "K_holdsTail"])
    /\ UNCHANGED core
    /\ Frame(self)

(* link_successor: `let holds = segment.holds();` (resize.rs:90): tail_state's          *)
(* `self.tail.load(Ordering::Acquire)` (segment.rs:96,156); not sealed => `self.cap`    *)
(* (segment.rs:97-99), then the sizing (resize.rs:91, in LinkSize).                     *)
LinkSize(self, holds) ==
    LET me == Me(self)
        cap == segs[me.rs].cap
    IN [me EXCEPT !.pc = "K_cas", !.v = 0,
                  !.len = Min(SuccessorCapacity(cap, holds), Sat(MaxCap - me.sum)), !.sum = 0]
LinkHoldsTail(self) ==
    LET me == Me(self)
        s  == segs[me.rs]
    IN /\ me.pc = "K_holdsTail"
       /\ IF IsSealed(s.tail)
          THEN Set(self, [me EXCEPT !.pc = "K_holdsHead", !.v = s.tail])
          ELSE Set(self, LinkSize(self, s.cap))
       /\ UNCHANGED core
       /\ Frame(self)

(* link_successor, holds of the sealed ring: `self.popped()`, `self.head.load(SeqCst)`   *)
(* (segment.rs:100,151); then `let capacity = self.successor_capacity(segment.cap(),      *)
(* holds).min(room);` (resize.rs:91).                                                     *)
LinkHoldsHead(self) ==
    LET me == Me(self)
        s  == segs[me.rs]
    IN /\ me.pc = "K_holdsHead"
       /\ Set(self, LinkSize(self, Left(s.cap, me.v, s.head)))
       /\ UNCHANGED core
       /\ Frame(self)

(* link_successor: `Box::into_raw(Segment::new(capacity, ..))` (resize.rs:99, private    *)
(* until published; `debug_assert!(cap >= 1)`, segment.rs:71) and                        *)
(* `segment.next.compare_exchange(null, successor, SeqCst, Acquire)` (resize.rs:100-105):  *)
(* Ok => `Some(successor)` (resize.rs:106-109); Err(winner) => the loser frees its own and *)
(* returns `Some(winner)` (resize.rs:110-115). Then successor's tail CAS.                 *)
LinkCas(self) ==
    LET me == Me(self)
        c  == me.rs
        new == Len(segs) + 1
    IN /\ me.pc = "K_cas"
       /\ IF segs[c].next = Null
          THEN /\ segs' = [Append(segs, NewSeg(me.len)) EXCEPT ![c].next = new]
               /\ Set(self, [me EXCEPT !.pc = "N_casTail", !.nxt = new, !.len = 0])
               /\ assertOK' = (assertOK /\ me.len >= 1)
          ELSE /\ Set(self, [me EXCEPT !.pc = "N_casTail", !.nxt = segs[c].next, !.len = 0])
               /\ UNCHANGED <<segs, assertOK>>
       /\ UNCHANGED <<qhead, qtail, sent, delivered, claimHi, fifoOK, emptyRead, retired>>
       /\ Frame(self)

(* successor: `self.tail.compare_exchange(current, next, AcqRel, Relaxed)` and          *)
(* `Some(next)` (resize.rs:70-73); `current` is the ring rs at every call site.          *)
SuccCasTail(self) ==
    LET me == Me(self)
    IN /\ me.pc = "N_casTail"
       /\ qtail' = IF qtail = me.rs THEN me.nxt ELSE qtail
       /\ SuccSome(self, me.nxt)
       /\ UNCHANGED <<segs, qhead, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(***************************************************************************)
(*                              CONSUMERS                                  *)
(***************************************************************************)
(* pop: `let guard = reclaim::pin();` (mod.rs:306) and pop_pinned's                 *)
(* `let mut current = self.head.load(Ordering::Acquire);` (mod.rs:324).             *)
PopStart(self) ==
    /\ Me(self).pc = "C_pop"
    /\ Set(self, [Idle("C_segLoadHead") EXCEPT !.cur = qhead])
    /\ UNCHANGED core
    /\ Frame(self)

(* Segment::pop: `let mut head = self.head.load(Ordering::Relaxed);` (segment.rs:247) *)
SegPopLoadHead(self) ==
    /\ Me(self).pc = "C_segLoadHead"
    /\ Set(self, [Me(self) EXCEPT !.pc = "C_loadStamp", !.loc = segs[Me(self).cur].head])
    /\ UNCHANGED core
    /\ Frame(self)

(* Segment::pop: `let stamp = slot.stamp.load(Ordering::Acquire);` (segment.rs:251).   *)
(* SeedOrder (the negative check): the consumer loads the tail index instead and takes *)
(* the slot when it differs from head, whether or not the producer has written it yet. *)
SegPopLoadStamp(self) ==
    LET me == Me(self)
        s  == segs[me.cur]
    IN /\ me.pc = "C_loadStamp"
       /\ IF SeedOrder
          THEN Set(self, [me EXCEPT !.pc = "C_decideSeed", !.v = s.tail])
          ELSE Set(self, [me EXCEPT !.pc = "C_decide", !.v = s.stamp[Idx(s.cap, me.loc)]])
       /\ UNCHANGED core
       /\ Frame(self)

(* The head CAS that claims position h of segment c (segment.rs:253-258):             *)
(* Ok => the slot is this thread's (ghost: record the claim order); Err(current) =>    *)
(* `head = current` (segment.rs:269-270).                                              *)
ClaimHead(self, c, h) ==
    LET me == Me(self)
        s == segs[c]
        m == s.val[Idx(s.cap, h)]          \* ghost peek: the message claimed
    IN IF s.head = h
       THEN /\ segs' = [segs EXCEPT ![c].head = Advance(s.cap, h)]
            /\ Set(self, [me EXCEPT !.pc = "C_read", !.v = 0])
            /\ IF m \in Msgs
               THEN /\ claimHi' = [claimHi EXCEPT ![m[1]] = Max(@, m[2])]
                    /\ fifoOK' = (fifoOK /\ claimHi[m[1]] < m[2])
               ELSE UNCHANGED <<claimHi, fifoOK>>
       ELSE /\ Set(self, [me EXCEPT !.pc = "C_loadStamp", !.loc = s.head, !.v = 0])
            /\ UNCHANGED <<segs, claimHi, fifoOK>>

(* pop_pinned, Err(Drained::Empty) (mod.rs:346-356): shrink_if_sparse above the       *)
(* minimum (mod.rs:350-351), restore_if_short below it (mod.rs:352-353), then return  *)
(* None.                                                                              *)
OnEmpty(self) ==
    LET me == Me(self)
        cap == segs[me.cur].cap
        r == [me EXCEPT !.rs = me.cur, !.retR = "pop_none", !.v = 0, !.loc = 0]
    IN IF cap > MinCap THEN Set(self, [r EXCEPT !.pc = "S_tail"])
       ELSE IF cap < MinCap THEN Set(self, [r EXCEPT !.pc = "R_tail"])
       ELSE PopNone(self)

(* Segment::pop, the three branches on the stamp (segment.rs:252-293):               *)
(*  stamp == head + 1: claim (ClaimHead).                                             *)
(*  stamp == head: `let tail = self.tail.load(Ordering::SeqCst);` (segment.rs:279);   *)
(*     `tail & !SEALED == head` => Exhausted if sealed, else Empty (segment.rs:280-  *)
(*     276); otherwise a producer is mid-write: reload head (segment.rs:288).         *)
(*  else: `head = self.head.load(Ordering::Relaxed)` (segment.rs:292).                *)
(* Exhausted: pop_pinned calls `self.successor(current, segment, guard)?`             *)
(* (mod.rs:358-361).                                                                  *)
SegPopDecide(self) ==
    LET me == Me(self)
        c  == me.cur
        s  == segs[c]
        h  == me.loc
    IN /\ me.pc = "C_decide"
       /\ CASE me.v = h + 1 ->
                 ClaimHead(self, c, h)
            [] me.v = h ->
                 /\ IF Pos(s.tail) = h
                    THEN IF IsSealed(s.tail)
                         THEN CallSuccessor(self, [me EXCEPT !.v = 0, !.loc = 0], "exh", c)
                         ELSE OnEmpty(self)
                    ELSE Set(self, [me EXCEPT !.pc = "C_reloadHead", !.v = 0])
                 /\ UNCHANGED <<segs, claimHi, fifoOK>>
            [] OTHER ->
                 /\ Set(self, [me EXCEPT !.pc = "C_loadStamp", !.loc = s.head, !.v = 0])
                 /\ UNCHANGED <<segs, claimHi, fifoOK>>
       /\ UNCHANGED <<qhead, qtail, sent, delivered, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* SeedOrder only: the seed crate's order. With the tail index already loaded          *)
(* (SegPopLoadStamp), `tail != head` is taken to mean "a message is there": the head    *)
(* CAS claims the slot even if its producer has only reserved it; `tail == head` is     *)
(* Empty/Exhausted as above.                                                            *)
SegPopDecideSeed(self) ==
    LET me == Me(self)
        c  == me.cur
        h  == me.loc
    IN /\ me.pc = "C_decideSeed"
       /\ IF Pos(me.v) # h
          THEN ClaimHead(self, c, h)
          ELSE /\ IF IsSealed(me.v)
                  THEN CallSuccessor(self, [me EXCEPT !.v = 0, !.loc = 0], "exh", c)
                  ELSE OnEmpty(self)
               /\ UNCHANGED <<segs, claimHi, fifoOK>>
       /\ UNCHANGED <<qhead, qtail, sent, delivered, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* Segment::pop, a producer mid-write: `head = self.head.load(Ordering::Relaxed)`      *)
(* (segment.rs:288).                                                                   *)
SegPopReloadHead(self) ==
    /\ Me(self).pc = "C_reloadHead"
    /\ Set(self, [Me(self) EXCEPT !.pc = "C_loadStamp", !.loc = segs[Me(self).cur].head])
    /\ UNCHANGED core
    /\ Frame(self)

(* Segment::pop: `let value = slot.value.with(|cell| cell.read().assume_init())`       *)
(* (segment.rs:264). The read moves the value out: the model clears the cell, so a     *)
(* read of a slot not (yet) written yields NoMsg, which delivers nothing.              *)
SegPopRead(self) ==
    LET me == Me(self)
        c  == me.cur
        i  == Idx(segs[c].cap, me.loc)
        m  == segs[c].val[i]
    IN /\ me.pc = "C_read"
       /\ segs' = [segs EXCEPT ![c].val[i] = NoMsg]
       /\ IF m \in Msgs
          THEN /\ delivered' = [delivered EXCEPT ![m] = @ + 1]
               /\ UNCHANGED emptyRead
          ELSE /\ emptyRead' = TRUE
               /\ UNCHANGED delivered
       /\ Set(self, [me EXCEPT !.pc = "C_freeSlot"])
       /\ UNCHANGED <<qhead, qtail, sent, claimHi, fifoOK, assertOK, retired>>
       /\ Frame(self)

(* Segment::pop: `slot.stamp.store(head.wrapping_add(self.one_lap) & !SEALED, Release)` *)
(* and `return Ok((value, index))` (segment.rs:265-267).                                *)
SegPopFreeSlot(self) ==
    LET me == Me(self)
        c  == me.cur
        cap == segs[c].cap
    IN /\ me.pc = "C_freeSlot"
       /\ segs' = [segs EXCEPT ![c].stamp[Idx(cap, me.loc)] = me.loc + OneLap(cap)]
       /\ Set(self, [me EXCEPT !.pc = "C_okLoadNext"])
       /\ UNCHANGED <<qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* pop_pinned, Ok: `if !segment.next.load(Ordering::Acquire).is_null()` (mod.rs:335)   *)
(* => retire_if_exhausted (mod.rs:338); else the shrink check `index %                  *)
(* SHRINK_CHECK_INTERVAL == 0 && segment.cap() > min` (mod.rs:339-340) =>              *)
(* shrink_if_sparse (mod.rs:342); then `return Some(value)` (mod.rs:344).              *)
PopOkLoadNext(self) ==
    LET me == Me(self)
        s  == segs[me.cur]
    IN /\ me.pc = "C_okLoadNext"
       /\ IF s.next # Null
          THEN Set(self, [me EXCEPT !.pc = "E_holdsTail", !.loc = 0])
          ELSE IF Idx(s.cap, me.loc) % ShrinkCheckInterval = 0 /\ s.cap > MinCap
               THEN Set(self, [me EXCEPT !.pc = "S_tail", !.rs = me.cur, !.retR = "pop_some",
                                         !.loc = 0])
               ELSE PopSome(self)
       /\ UNCHANGED core
       /\ Frame(self)

(***************************************************************************)
(*  retire_if_exhausted (resize.rs:188-201) and advance_head               *)
(*  (resize.rs:205-241)                                                    *)
(***************************************************************************)
(* retire_if_exhausted: `if segment.holds() != 0 { return; }` (resize.rs:194-196):       *)
(* holds' tail_state, `self.tail.load(Ordering::Acquire)` (segment.rs:96,156); not      *)
(* sealed => the capacity, not 0 (segment.rs:97-99): the pop returns Some.              *)
RetireHoldsTail(self) ==
    LET me == Me(self)
        s  == segs[me.cur]
    IN /\ me.pc = "E_holdsTail"
       /\ IF IsSealed(s.tail)
          THEN Set(self, [me EXCEPT !.pc = "E_holdsHead", !.v = s.tail])
          ELSE PopSome(self)
       /\ UNCHANGED core
       /\ Frame(self)

(* retire_if_exhausted: holds' `self.popped()`, `self.head.load(SeqCst)` (segment.rs:100, *)
(* 143); `!= 0` => return (resize.rs:194-196), and the pop returns Some.                 *)
RetireHoldsHead(self) ==
    LET me == Me(self)
        s  == segs[me.cur]
    IN /\ me.pc = "E_holdsHead"
       /\ IF Left(s.cap, me.v, s.head) # 0
          THEN PopSome(self)
          ELSE Set(self, [me EXCEPT !.pc = "E_loadNext", !.v = 0])
       /\ UNCHANGED core
       /\ Frame(self)

(* retire_if_exhausted: `let next = segment.next.load(Ordering::Acquire);` and         *)
(* `if !next.is_null() { self.advance_head(current, next, guard); }` (resize.rs:197-    *)
(* 186).                                                                                *)
RetireLoadNext(self) ==
    LET me == Me(self)
        n  == segs[me.cur].next
    IN /\ me.pc = "E_loadNext"
       /\ IF n # Null
          THEN Set(self, [me EXCEPT !.pc = "A_casTail", !.an = n, !.retA = "retire"])
          ELSE PopSome(self)
       /\ UNCHANGED core
       /\ Frame(self)

(* advance_head(current = cur, next = an):                                             *)
(* `self.tail.compare_exchange(current, next, AcqRel, Relaxed)` (resize.rs:213-215).   *)
AdvCasTail(self) ==
    LET me == Me(self)
    IN /\ me.pc = "A_casTail"
       /\ qtail' = IF qtail = me.cur THEN me.an ELSE qtail
       /\ Set(self, [me EXCEPT !.pc = "A_casHead"])
       /\ UNCHANGED <<segs, qhead, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(* advance_head: `self.head.compare_exchange(current, next, AcqRel, Acquire)`            *)
(* (resize.rs:216-219); Ok => `self.limbo.retire(guard, current)` (resize.rs:226): the   *)
(* limbo frees it once every thread pinned now has unpinned (pins, set in Frame);        *)
(* Err(now) => `now` is returned (resize.rs:239).                                         *)
AdvCasHead(self) ==
    LET me == Me(self)
    IN /\ me.pc = "A_casHead"
       /\ IF qhead = me.cur
          THEN /\ qhead' = me.an
               /\ retired' = retired \cup {me.cur}
               /\ Set(self, [me EXCEPT !.pc = "A_loadTail"])
          ELSE /\ AdvReturn(self, qhead)
               /\ UNCHANGED <<qhead, retired>>
       /\ UNCHANGED <<segs, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead>>
       /\ Frame(self)

(* advance_head: `let last = self.tail.load(Ordering::Acquire);` and                   *)
(* `if last_segment.cap() < min { self.restore_if_short(last, ..) }` (resize.rs:229-    *)
(* 223); then `next` is returned (resize.rs:237).                                        *)
AdvLoadTail(self) ==
    LET me == Me(self)
    IN /\ me.pc = "A_loadTail"
       /\ IF segs[qtail].cap < MinCap
          THEN Set(self, [me EXCEPT !.pc = "R_tail", !.rs = qtail, !.retR = "adv"])
          ELSE AdvReturn(self, me.an)
       /\ UNCHANGED core
       /\ Frame(self)

(***************************************************************************)
(*  shrink_if_sparse (resize.rs:135-150), restore_if_short (resize.rs:    *)
(*  144-164) and replace (resize.rs:180-184) of the ring rs; the first two *)
(*  start with Segment::len_if_open (segment.rs:162-169)                  *)
(***************************************************************************)
(* len_if_open: `let (tail, sealed) = self.tail_state(); if sealed { return None; }`  *)
(* (segment.rs:163-166; the load is segment.rs:156), and the caller's                  *)
(* `let Some(len) = .. else { return; }` (resize.rs:141-143 / resize.rs:161-163).     *)
LenTail(self, pcv, next) ==
    LET me == Me(self)
        t  == segs[me.rs].tail
    IN /\ me.pc = pcv
       /\ IF IsSealed(t)
          THEN ResizeReturn(self)
          ELSE Set(self, [me EXCEPT !.pc = next, !.v = t])
       /\ UNCHANGED core
       /\ Frame(self)
ShrinkLenTail(self)  == LenTail(self, "S_tail", "S_head")
RestoreLenTail(self) == LenTail(self, "R_tail", "R_head")

(* len_if_open: `self.count(tail).saturating_sub(self.popped())..min(self.cap)`        *)
(* (segment.rs:167-168; popped() loads head, segment.rs:151). Then shrink_if_sparse's  *)
(* `if !should_shrink(cap, len) || shrunk(cap, len) >= cap { return; }`                *)
(* (resize.rs:144-148), else the seal.                                                 *)
ShrinkLenHead(self) ==
    LET me == Me(self)
        s  == segs[me.rs]
        len == Left(s.cap, me.v, s.head)
    IN /\ me.pc = "S_head"
       /\ IF ~ShouldShrink(s.cap, len) \/ Shrunk(s.cap, len) >= s.cap
          THEN ResizeReturn(self)
          ELSE Set(self, [me EXCEPT !.pc = "X_seal", !.v = 0])
       /\ UNCHANGED core
       /\ Frame(self)

(* len_if_open's head load, as above, for restore_if_short; then                      *)
(* `let (held, last) = self.held(guard);` (resize.rs:164).                            *)
RestoreLenHead(self) ==
    LET me == Me(self)
        s  == segs[me.rs]
    IN /\ me.pc = "R_head"
       /\ CallHeld(self, [me EXCEPT !.v = 0, !.len = Left(s.cap, me.v, s.head)], "restore")
       /\ UNCHANGED core
       /\ Frame(self)

(* `self.replace(current, segment, guard)` (resize.rs:149 / resize.rs:174), whose     *)
(* `if segment.seal()` (resize.rs:181; Segment::seal's                                *)
(* `self.tail.fetch_or(SEALED, SeqCst) & SEALED == 0`, segment.rs:178): this call     *)
(* sealed it => `self.successor(current, segment, guard)` (resize.rs:182); otherwise  *)
(* return.                                                                            *)
ResizeSeal(self) ==
    LET me == Me(self)
        c == me.rs
        prev == segs[c].tail
    IN /\ me.pc = "X_seal"
       /\ segs' = [segs EXCEPT ![c].tail = IF IsSealed(prev) THEN prev ELSE prev + SEALED]
       /\ IF IsSealed(prev)
          THEN ResizeReturn(self)
          ELSE CallSuccessor(self, me, "resize", c)
       /\ UNCHANGED <<qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>
       /\ Frame(self)

(***************************************************************************)
(*                                 SPEC                                    *)
(***************************************************************************)
Action(self) ==
    \/ PushStart(self) \/ SegPushLoadTail(self) \/ SegPushLoadStamp(self)
    \/ SegPushDecide(self) \/ SegPushReloadTail(self) \/ SegPushWrite(self)
    \/ SegPushPublish(self) \/ SealFullIsSealed(self) \/ SealFullSeal(self)
    \/ HeldHead(self) \/ HeldTail(self) \/ HeldPopped(self) \/ HeldNext(self)
    \/ SuccLoadNext(self) \/ LinkLoadNext(self) \/ LinkFinalCount(self)
    \/ LinkHoldsTail(self) \/ LinkHoldsHead(self) \/ LinkCas(self) \/ SuccCasTail(self)
    \/ PopStart(self) \/ SegPopLoadHead(self) \/ SegPopLoadStamp(self) \/ SegPopDecide(self)
    \/ SegPopDecideSeed(self) \/ SegPopReloadHead(self) \/ SegPopRead(self)
    \/ SegPopFreeSlot(self) \/ PopOkLoadNext(self)
    \/ RetireHoldsTail(self) \/ RetireHoldsHead(self) \/ RetireLoadNext(self)
    \/ AdvCasTail(self) \/ AdvCasHead(self) \/ AdvLoadTail(self)
    \/ ShrinkLenTail(self) \/ RestoreLenTail(self) \/ ShrinkLenHead(self)
    \/ RestoreLenHead(self) \/ ResizeSeal(self)

(* One step of thread self (each action ends with Frame, which also keeps a stopped *)
(* thread from moving).                                                              *)
Step(self) == Action(self)

(* A thread of MayStop stops for good, at any point of its run (but, unless StopInSlot,  *)
(* not between a slot's claim and its stamp store; see README.md). At most one does.    *)
SlotPcs == {"P_write", "P_publish", "C_read", "C_freeSlot"}
Stop(p) == /\ stopped = NoStop
           /\ p \in MayStop
           /\ lc[p].pc # "Done"
           /\ (StopInSlot \/ lc[p].pc \notin SlotPcs)
           /\ stopped' = p
           /\ UNCHANGED <<core, lc, atMax, fullOK, pins>>

(* Every thread is done, but for the one that stopped: the run is over (not a deadlock). *)
Finished == /\ \A p \in Procs : lc[p].pc = "Done" \/ stopped = p
            /\ UNCHANGED vars

Next == \/ \E p \in Procs : Step(p)
        \/ \E p \in Procs : Stop(p)
        \/ Finished

(* Weak fairness of every thread: a thread that can always take a step eventually does   *)
(* (the stopped one cannot). Stop is not fair: a thread may or may not stop.             *)
Spec == /\ Init /\ [][Next]_vars
        /\ \A p \in Procs : WF_vars(Step(p))

(***************************************************************************)
(*                              PROPERTIES                                 *)
(***************************************************************************)
Completed(m) == m[2] <= sent[m[1]]           \* its push returned Ok
(* The slots of segment s between its head and its tail (claimed by a producer, not  *)
(* yet by a consumer) hold m.                                                        *)
Pending(s, m) ==
    LET c == segs[s].cap
        h == Count(c, segs[s].head)
        t == Count(c, segs[s].tail)
    IN \E k \in h..(t - 1) : segs[s].val[k % c] = m
InHand(m) == \E c \in Consumers : lc[c].pc = "C_read"
                                  /\ segs[lc[c].cur].val[Idx(segs[lc[c].cur].cap, lc[c].loc)] = m
(* What the chain holds against the maximum now (what `held` would sum if it ran in one *)
(* step): an open ring its capacity, a sealed one what it still holds.                  *)
Holds(s) == IF IsSealed(segs[s].tail) THEN Left(segs[s].cap, segs[s].tail, segs[s].head)
            ELSE segs[s].cap
RECURSIVE HoldsFrom(_)
HoldsFrom(s) == IF s > Len(segs) THEN 0 ELSE Holds(s) + HoldsFrom(s + 1)
HeldNow == HoldsFrom(qhead)

LocalNames == {"cur", "rs", "nxt", "an", "w"}
TypeOK ==
    /\ \A s \in 1..Len(segs) :
          LET g == segs[s]
          IN /\ g.cap \in 1..MaxCap /\ g.head \in Nat /\ g.tail \in Nat
             /\ DOMAIN g.stamp = 0..(g.cap - 1) /\ DOMAIN g.val = 0..(g.cap - 1)
             /\ \A i \in 0..(g.cap - 1) : g.stamp[i] \in Nat /\ g.val[i] \in Msgs \cup {NoMsg}
             /\ g.next \in 0..Len(segs)
    /\ qhead \in 1..Len(segs) /\ qtail \in 1..Len(segs)
    /\ \A p \in Procs : \A f \in LocalNames : lc[p][f] \in 0..Len(segs)
    /\ stopped \in {NoStop} \cup Procs
    /\ atMax \in [Producers -> BOOLEAN]
    /\ \A p \in Producers : sent[p] \in 0..Pushes(p)
    /\ delivered \in [Msgs -> Nat]
    /\ retired \subseteq 1..Len(segs)

(* No loss: every message whose push returned Ok has been popped, is in the hands of   *)
(* the consumer that claimed it, or waits in a slot between a segment's head and tail. *)
NoLoss ==
    \A m \in Msgs : Completed(m) =>
        \/ delivered[m] > 0
        \/ InHand(m)
        \/ \E s \in qhead..Len(segs) : Pending(s, m)

(* No duplication: no message is popped twice. *)
NoDuplication == \A m \in Msgs : delivered[m] <= 1

(* Per-producer FIFO: one producer's messages are claimed (by the head CAS, which orders *)
(* all pops) in the order it pushed them. Each consumer then pops them in that order too: *)
(* its pops are sequential, and the cell it claimed still holds the message it claimed    *)
(* when it reads it (otherwise NoLoss fails).                                             *)
PerProducerFIFO == fifoOK

(* Nothing is popped that was never pushed: no consumer reads a cell that holds no       *)
(* message (not yet written, or already moved out), and every message read was          *)
(* completed.                                                                            *)
NoPhantom == /\ ~emptyRead
             /\ \A m \in Msgs : delivered[m] > 0 => Completed(m)

(* Capacity ("Capacity" in mod.rs:20-35): the messages queued never exceed max_capacity, *)
(* and neither does what the chain holds against it.                                    *)
QueuedWithinMax == Queued <= MaxCap
HeldWithinMax == HeldNow <= MaxCap
BoundedCapacity == QueuedWithinMax /\ HeldWithinMax

(* No early Full (mod.rs:27-30): a push is refused only when the queue held max_capacity *)
(* messages at one of the steps of the check that refused it (CheckPcs).                 *)
FullOnlyAtMax == fullOK

(* The debug_asserts: link_successor is called on a sealed ring (resize.rs:79), a       *)
(* successor has at least one slot (segment.rs:71), and a ring linked meanwhile has a   *)
(* non-null `next` (resize.rs:83 would dereference it).                                  *)
DebugAsserts == assertOK

(* Successors are linked one at a time: segments form one chain in link order, and     *)
(* every segment but the newest is sealed (sealed before it was linked).                 *)
OneChain == \A s \in 1..Len(segs) :
                /\ segs[s].next \in {Null, s + 1}
                /\ (s < Len(segs) => IsSealed(segs[s].tail))

(* The limbo's contract (`retire`, resize.rs:221-226): a retired segment is behind head *)
(* and tail, so no thread pinning later can reach it, and no thread touches a segment    *)
(* after the limbo may have freed it.                                                     *)
SafeReclamation ==
    /\ \A s \in retired : s < qhead /\ s < qtail
    /\ \A p \in Procs : InOp(p) => \A f \in LocalNames : lc[p][f] # Null => ~Freed(lc[p][f])

(* Once every thread is done: every message was popped exactly once, nothing is queued, *)
(* head and tail are at the last ring, which is open, and what the chain holds is in     *)
(* 1..max_capacity.                                                                      *)
Quiescent == Terminated =>
    /\ \A m \in Msgs : delivered[m] = 1
    /\ Queued = 0
    /\ qhead = Len(segs) /\ qtail = Len(segs)
    /\ ~IsSealed(segs[Len(segs)].tail)
    /\ HeldNow >= 1
(* The loom models' check (loom_tests.rs:223-227): a finished queue holds at least       *)
(* min_capacity.                                                                          *)
QuiescentAboveMin == Terminated => HeldNow >= MinCap

(* Liveness, under weak fairness of every thread. With MayStop = {} (nobody stops;       *)
(* consumers keep popping until every message has been popped):                          *)
(* every message pushed is eventually popped. Both predicates only ever become true, so  *)
(* `Completed(m) ~> delivered[m] > 0` is equivalent to the form below, which TLC checks   *)
(* without a tableau.                                                                     *)
EveryPushPopped == \A m \in Msgs : <>[](Completed(m) => delivered[m] > 0)
EveryPushPoppedLeadsTo == \A m \in Msgs : Completed(m) ~> (delivered[m] > 0)
(* every push eventually succeeds: Full at the maximum only lasts until consumers make room *)
EveryPushCompletes == <>(\A p \in Producers : sent[p] = Pushes(p))
(* and the run ends (with Quiescent: every message pushed and popped exactly once). *)
Terminates == <>Terminated

(* Lock-freedom (mod.rs:37-43): whichever one thread stops for good, wherever (Stop),     *)
(* every call of every other thread returns: each push (Ok or Full), each pop (Some or   *)
(* None). `InOp(p) ~> ~InOp(p)` in the equivalent form TLC checks without a tableau.      *)
CallsReturn == \A p \in Procs : []<>(~InOp(p) \/ stopped = p)
CallsReturnLeadsTo == \A p \in Procs : (InOp(p) /\ stopped # p) ~> (~InOp(p) \/ stopped = p)
=============================================================================
