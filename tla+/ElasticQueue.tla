---------------------------- MODULE ElasticQueue ----------------------------
(***************************************************************************)
(* The lock-free engine of elasticq (`LockFreeQueue`,                      *)
(* elasticq-runtime/src/lock_free/mod.rs, segment.rs, reclaim.rs) at the   *)
(* granularity of its atomic steps: every load, compare-exchange, fetch-op *)
(* and store on shared memory is one step of its own; what a thread then   *)
(* computes from the values it loaded (comparisons, `count`, `advance`,    *)
(* the sizing functions of `Config`) happens inside that step, since it    *)
(* touches no shared memory.                                               *)
(*                                                                         *)
(* Each action names, in its comment, the Rust function and the statement  *)
(* (file:line) it models. Line numbers refer to mod.rs and segment.rs as   *)
(* checked by this spec.                                                   *)
(*                                                                         *)
(* Not modelled: `close` and the `closed` flag, the wait queues            *)
(* (`pop_waiters`/`push_waiters` only wake sleepers; here producers and    *)
(* consumers poll), the statistics counters (`rejected`, `resizes`,        *)
(* `base`), the batch calls (a loop of the same `push_pinned`/`pop_pinned` *)
(* under one pin), spurious failures of `compare_exchange_weak` (a failure *)
(* that returns the expected value leaves the thread where it was, a       *)
(* stutter), and memory orderings weaker than SeqCst: the model is         *)
(* sequentially consistent, the loom models cover the orderings.           *)
(*                                                                         *)
(* Spin loops that re-load the same word until it changes (`successor`     *)
(* waiting for `next`) are awaits: a load that finds nothing new changes   *)
(* no state. Every other retry loop is modelled load by load.              *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    NProducers,          \* producer threads
    NConsumers,          \* consumer threads
    MsgsPerProducer,     \* messages each producer pushes, in order
    InitCap,             \* Config::initial_capacity
    MinCap,              \* Config::min_capacity
    MaxCap,              \* Config::max_capacity
    Growth,              \* Config::growth_factor (an integer here)
    ShrinkNum, ShrinkDen, \* Config::shrink_threshold = ShrinkNum / ShrinkDen
    ShrinkCheckInterval, \* SHRINK_CHECK_INTERVAL (mod.rs:36): 64, or 1 under loom
    SeedOrder            \* FALSE: the engine as written. TRUE: the negative check, the
                         \* seed crate's order (a consumer trusts the tail index, not the
                         \* slot's stamp, and may read a reserved slot before it is written)

ASSUME /\ NProducers \in Nat \ {0} /\ NConsumers \in Nat \ {0} /\ MsgsPerProducer \in Nat \ {0}
       /\ MinCap \in Nat \ {0} /\ MinCap <= InitCap /\ InitCap <= MaxCap   \* Config::validate
       /\ Growth \in Nat /\ Growth > 1
       /\ ShrinkNum \in Nat \ {0} /\ ShrinkDen \in Nat /\ ShrinkNum < ShrinkDen
       /\ ShrinkCheckInterval \in Nat \ {0}
       /\ SeedOrder \in BOOLEAN

Producers == 1..NProducers
Consumers == (NProducers + 1)..(NProducers + NConsumers)
Procs     == Producers \cup Consumers
Msgs      == Producers \X (1..MsgsPerProducer)   \* <<producer, sequence number>>
NoMsg     == <<0, 0>>                             \* an uninitialised / moved-out cell
Null      == 0                                    \* the null segment pointer

(* ---- Segment arithmetic, as in segment.rs ---- *)
SEALED == 65536            \* the top bit of the tail word (segment.rs:23), scaled down
Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b
Sat(a) == Max(a, 0)        \* usize::saturating_sub
RECURSIVE Pow2AtLeast(_, _)
Pow2AtLeast(n, k) == IF k >= n THEN k ELSE Pow2AtLeast(n, 2 * k)
OneLap(c) == Pow2AtLeast(c + 1, 1)                 \* (cap + 1).next_power_of_two() (segment.rs:66)
Pos(w) == w % SEALED                               \* tail & !SEALED
IsSealed(w) == w >= SEALED                         \* tail & SEALED != 0
Idx(c, p) == p % OneLap(c)                         \* position & (one_lap - 1)
Advance(c, p) ==                                   \* Segment::advance (segment.rs:98-105)
    IF Idx(c, p) + 1 < c THEN p + 1 ELSE (p - Idx(c, p)) + OneLap(c)
Count(c, w) == (Pos(w) \div OneLap(c)) * c + Idx(c, Pos(w))   \* Segment::count (segment.rs:108-112)

(* ---- Config sizing (config.rs: grown, shrunk, should_shrink) ---- *)
CeilDiv(a, b) == (a + b - 1) \div b
Grown(c) == Max(c * Growth, c + 1)
ShouldShrink(c, len) == c > MinCap /\ len * ShrinkDen <= ShrinkNum * c
RECURSIVE Shrunk(_, _)
Shrunk(t, len) ==
    IF ~ShouldShrink(t, len) THEN t
    ELSE LET smaller == Max(Max(Min(CeilDiv(t, Growth), t - 1), MinCap), len)
         IN IF smaller >= t THEN t ELSE Shrunk(smaller, len)

(* Segment::new (segment.rs:64-84): stamps 0..cap-1, head = tail = 0, next null,   *)
(* accounted = cap.                                                                *)
NewSeg(c) == [cap |-> c, head |-> 0, tail |-> 0,
              stamp |-> [i \in 0..(c - 1) |-> i],
              val |-> [i \in 0..(c - 1) |-> NoMsg],
              next |-> Null, accounted |-> c]

VARIABLES
    segs,       \* every segment ever allocated, by id (Box::into_raw order); chain order = id order
    qhead,      \* LockFreeQueue::head (mod.rs:77)
    qtail,      \* LockFreeQueue::tail (mod.rs:78)
    live,       \* LockFreeQueue::live (mod.rs:80)
    lc,         \* per thread: pc and the locals of the Rust functions it is in
    \* ghost state, for the properties only
    sent,       \* producer -> how many of its pushes returned Ok
    delivered,  \* message -> how many times a consumer read it out of a slot
    claimHi,    \* producer -> highest sequence number claimed (head CAS) so far
    fifoOK,     \* no claim went backwards in a producer's order
    assertOK,   \* `debug_assert!(live < max)` of install_successor (mod.rs:236) held
    emptyRead,  \* a consumer read a value cell that held no message
    retired,    \* segments handed to reclaim::retire
    pins        \* <<s, p>>: p was pinned when s was retired (crossbeam-epoch keeps s for p)

shared == <<segs, qhead, qtail, live>>
ghost  == <<sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired, pins>>
vars   == <<segs, qhead, qtail, live, lc, sent, delivered, claimHi, fifoOK,
            assertOK, emptyRead, retired, pins>>

(* Locals: cur = `current` (the segment a push/pop works on), loc = the local `tail`  *)
(* (push) or `head` (pop) position word, v = the last value loaded or computed,       *)
(* nxt = a `next` pointer loaded, rem = `remaining` or `len`, rs = the segment being   *)
(* sealed/replaced, succ = the successor install_successor allocates, ret1/ret2 =     *)
(* where advance_head / the resize calls return to.                                   *)
Idle(pcv) == [pc |-> pcv, cur |-> Null, loc |-> 0, v |-> 0, nxt |-> Null, rem |-> 0,
              rs |-> Null, succ |-> Null, ret1 |-> "", ret2 |-> ""]

InOp(p) == lc[p].pc \notin {"P_push", "C_pop", "Done"}   \* inside push()/pop(): pinned
Unpin(p) == {x \in pins : x[2] # p}
Freed(s) == s \in retired /\ ~\E x \in pins : x[1] = s
AllDelivered == \A m \in Msgs : delivered[m] > 0
Terminated == \A p \in Procs : lc[p].pc = "Done"

Init ==
    /\ segs = << NewSeg(InitCap) >>
    /\ qhead = 1 /\ qtail = 1
    /\ live = InitCap                                   \* LockFreeQueue::new (mod.rs:125-129)
    /\ lc = [p \in Procs |-> Idle(IF p \in Producers THEN "P_push" ELSE "C_pop")]
    /\ sent = [p \in Producers |-> 0]
    /\ delivered = [m \in Msgs |-> 0]
    /\ claimHi = [p \in Producers |-> 0]
    /\ fifoOK = TRUE /\ assertOK = TRUE /\ emptyRead = FALSE
    /\ retired = {} /\ pins = {}

(***************************************************************************)
(* Returns. They end a call: the guard is dropped (unpin) and the locals    *)
(* are forgotten.                                                           *)
(***************************************************************************)
(* push returned Err(Full) (mod.rs:166-169): the producer tries again, as       *)
(* push_timeout's wait loop does (mod.rs:530-547), re-pinning each time.       *)
PushFull(self) == /\ lc' = [lc EXCEPT ![self] = Idle("P_push")]
                  /\ pins' = Unpin(self)
(* pop returned Some (mod.rs:323): the consumer pops again. *)
PopSome(self) == /\ lc' = [lc EXCEPT ![self] = Idle("C_pop")]
                 /\ pins' = Unpin(self)
(* pop returned None: the consumer pops again, or stops once every message has   *)
(* been popped (as a drain loop does): a finished run is a legitimate end state. *)
PopNone(self) == /\ lc' = [lc EXCEPT ![self] = Idle(IF AllDelivered THEN "Done" ELSE "C_pop")]
                 /\ pins' = Unpin(self)
(* advance_head returns `next` (mod.rs:382): to the Ok branch of pop_pinned, which   *)
(* returns Some (mod.rs:323), or to the Exhausted branch, which pops from it         *)
(* (`current = self.advance_head(...)`, mod.rs:341).                                 *)
AdvReturn(self) ==
    IF lc[self].ret1 = "exh"
    THEN /\ lc' = [lc EXCEPT ![self] = [Idle("C_segLoadHead") EXCEPT !.cur = lc[self].nxt]]
         /\ UNCHANGED pins
    ELSE PopSome(self)
(* shrink_if_sparse / restore_if_short return to their caller. *)
ResizeReturn(self) ==
    CASE lc[self].ret2 = "shrink_some" -> PopSome(self)              \* mod.rs:321-323
      [] lc[self].ret2 \in {"shrink_none", "restore_none"} -> PopNone(self)   \* mod.rs:329-333

(***************************************************************************)
(*                              PRODUCERS                                  *)
(***************************************************************************)
Msg(self) == <<self, sent[self] + 1>>

(* push: `let guard = reclaim::pin();` (mod.rs:158) and push_pinned's              *)
(* `let mut current = self.tail.load(Ordering::Acquire);` (mod.rs:175).            *)
PushStart(self) ==
    /\ lc[self].pc = "P_push"
    /\ lc' = [lc EXCEPT ![self].pc = "P_segLoadTail", ![self].cur = qtail]
    /\ UNCHANGED <<shared, ghost>>

(* After each load of the tail word, Segment::push's loop head checks the seal bit:     *)
(* `if tail & SEALED != 0 { return Err(Rejected::Sealed(value)) }` (segment.rs:159-161), *)
(* and push_pinned then calls successor (mod.rs:184,192). A local test, folded into the  *)
(* step of the load.                                                                     *)
GotTail(self, w) ==
    IF IsSealed(w) THEN lc' = [lc EXCEPT ![self].pc = "N_loadNext", ![self].loc = 0, ![self].v = 0]
                   ELSE lc' = [lc EXCEPT ![self].pc = "P_loadStamp", ![self].loc = w, ![self].v = 0]

(* Segment::push: `let mut tail = self.tail.load(Ordering::Relaxed);` (segment.rs:157) *)
SegPushLoadTail(self) ==
    /\ lc[self].pc = "P_segLoadTail"
    /\ GotTail(self, segs[lc[self].cur].tail)
    /\ UNCHANGED <<shared, ghost>>

(* Segment::push: `let stamp = slot.stamp.load(Ordering::Acquire);` (segment.rs:162-163). *)
SegPushLoadStamp(self) ==
    LET me == lc[self]
        s  == segs[me.cur]
    IN /\ me.pc = "P_loadStamp"
       /\ lc' = [lc EXCEPT ![self].pc = "P_decide", ![self].v = s.stamp[Idx(s.cap, me.loc)]]
       /\ UNCHANGED <<shared, ghost>>

(* Segment::push, the three branches on the stamp (segment.rs:164-203):             *)
(*  stamp == tail: `self.tail.compare_exchange_weak(tail, self.advance(tail), ..)`   *)
(*     (segment.rs:167-172); Err(current) => `tail = current` (segment.rs:184-186).  *)
(*  stamp + one_lap == tail + 1: `fence(SeqCst); let head = self.head.load(..)`      *)
(*     (segment.rs:192-193); `head + one_lap == tail` => Err(Rejected::Full)         *)
(*     (segment.rs:194-196), then push_pinned calls grow (mod.rs:185-187).           *)
(*  else: `tail = self.tail.load(Ordering::Relaxed)` (segment.rs:200-202).           *)
SegPushDecide(self) ==
    LET me == lc[self]
        c  == me.cur
        s  == segs[c]
        t  == me.loc
    IN /\ me.pc = "P_decide"
       /\ CASE me.v = t ->
                 IF s.tail = t
                 THEN /\ segs' = [segs EXCEPT ![c].tail = Advance(s.cap, t)]
                      /\ lc' = [lc EXCEPT ![self].pc = "P_write", ![self].v = 0]
                 ELSE /\ GotTail(self, s.tail)
                      /\ UNCHANGED segs
            [] me.v + OneLap(s.cap) = t + 1 ->
                 /\ IF s.head + OneLap(s.cap) = t
                    THEN lc' = [lc EXCEPT ![self].pc = "G_isSealed", ![self].loc = 0, ![self].v = 0]
                    ELSE lc' = [lc EXCEPT ![self].pc = "P_reloadTail", ![self].v = 0]
                 /\ UNCHANGED segs
            [] OTHER ->
                 /\ GotTail(self, s.tail)
                 /\ UNCHANGED segs
       /\ UNCHANGED <<qhead, qtail, live, ghost>>

(* Segment::push, not full after all: `tail = self.tail.load(Ordering::Relaxed)`    *)
(* (segment.rs:197-198).                                                           *)
SegPushReloadTail(self) ==
    /\ lc[self].pc = "P_reloadTail"
    /\ GotTail(self, segs[lc[self].cur].tail)
    /\ UNCHANGED <<shared, ghost>>

(* Segment::push: `cell.write(MaybeUninit::new(value))` (segment.rs:176-180). *)
SegPushWrite(self) ==
    LET me == lc[self]
        c  == me.cur
    IN /\ me.pc = "P_write"
       /\ segs' = [segs EXCEPT ![c].val[Idx(segs[c].cap, me.loc)] = Msg(self)]
       /\ lc' = [lc EXCEPT ![self].pc = "P_publish"]
       /\ UNCHANGED <<qhead, qtail, live, ghost>>

(* Segment::push: `slot.stamp.store(tail + 1, Ordering::Release); return Ok(())`    *)
(* (segment.rs:181-182); push returns Ok (mod.rs:162-165) and drops the guard.       *)
SegPushPublish(self) ==
    LET me == lc[self]
        c  == me.cur
    IN /\ me.pc = "P_publish"
       /\ segs' = [segs EXCEPT ![c].stamp[Idx(segs[c].cap, me.loc)] = me.loc + 1]
       /\ sent' = [sent EXCEPT ![self] = @ + 1]
       /\ lc' = [lc EXCEPT ![self] = Idle(IF sent[self] + 1 = MsgsPerProducer THEN "Done" ELSE "P_push")]
       /\ pins' = Unpin(self)
       /\ UNCHANGED <<qhead, qtail, live, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* grow: `if segment.is_sealed() { return true; }` (mod.rs:199-201; the load is     *)
(* segment.rs:145); true sends push_pinned to successor (mod.rs:192).               *)
GrowIsSealed(self) ==
    /\ lc[self].pc = "G_isSealed"
    /\ lc' = [lc EXCEPT ![self].pc = IF IsSealed(segs[lc[self].cur].tail) THEN "N_loadNext"
                                                                         ELSE "G_loadLive"]
    /\ UNCHANGED <<shared, ghost>>

(* grow: `fence(SeqCst); if self.live.load(SeqCst) >= max { return false; }`        *)
(* (mod.rs:204-207); false makes push_pinned return Err (mod.rs:187-189).           *)
GrowLoadLive(self) ==
    /\ lc[self].pc = "G_loadLive"
    /\ IF live >= MaxCap
       THEN PushFull(self)
       ELSE /\ lc' = [lc EXCEPT ![self].pc = "G_seal"]
            /\ UNCHANGED pins
    /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* grow: `if let Some(final_tail) = segment.seal()` (mod.rs:208), Segment::seal's    *)
(* `self.tail.fetch_or(SEALED, SeqCst)` (segment.rs:151-152). The sealer calls       *)
(* install_successor(.., Resize::Grow) (mod.rs:209); anyone else returns true         *)
(* (mod.rs:211) and waits in successor.                                              *)
GrowSeal(self) ==
    LET c == lc[self].cur
        prev == segs[c].tail
    IN /\ lc[self].pc = "G_seal"
       /\ segs' = [segs EXCEPT ![c].tail = IF IsSealed(prev) THEN prev ELSE prev + SEALED]
       /\ lc' = IF IsSealed(prev)
                THEN [lc EXCEPT ![self].pc = "N_loadNext"]
                ELSE [lc EXCEPT ![self].pc = "I_popped", ![self].v = prev, ![self].rs = c,
                                ![self].ret2 = "grow"]
       /\ UNCHANGED <<qhead, qtail, live, ghost>>

(* successor: `let next = segment.next.load(Ordering::Acquire); if !next.is_null()`  *)
(* (mod.rs:263-264). The `backoff.snooze()` loop (mod.rs:262-271) is an await.        *)
SuccLoadNext(self) ==
    /\ lc[self].pc = "N_loadNext"
    /\ segs[lc[self].cur].next # Null
    /\ lc' = [lc EXCEPT ![self].pc = "N_casTail", ![self].nxt = segs[lc[self].cur].next]
    /\ UNCHANGED <<shared, ghost>>

(* successor: `self.tail.compare_exchange(current, next, AcqRel, Relaxed)` and        *)
(* `return next` (mod.rs:265-268); push_pinned loops on it (mod.rs:192).              *)
SuccCasTail(self) ==
    LET me == lc[self]
    IN /\ me.pc = "N_casTail"
       /\ qtail' = IF qtail = me.cur THEN me.nxt ELSE qtail
       /\ lc' = [lc EXCEPT ![self].pc = "P_segLoadTail", ![self].cur = me.nxt, ![self].nxt = Null]
       /\ UNCHANGED <<segs, qhead, live, ghost>>

(***************************************************************************)
(*          install_successor (mod.rs:219-256), called by the thread that   *)
(*          sealed segment rs with final tail v                             *)
(***************************************************************************)
(* `let pushed = segment.count(final_tail); let remaining =                         *)
(*  pushed.saturating_sub(segment.popped())..min(segment.cap())` (mod.rs:227-230);   *)
(* popped() loads head (segment.rs:121).                                              *)
InstPopped(self) ==
    LET me == lc[self]
        s  == segs[me.rs]
    IN /\ me.pc = "I_popped"
       /\ lc' = [lc EXCEPT ![self].pc = "I_accounted", ![self].v = 0,
                           ![self].rem = Min(Sat(Count(s.cap, me.v) - Count(s.cap, s.head)), s.cap)]
       /\ UNCHANGED <<shared, ghost>>

(* `segment.accounted.store(remaining, Ordering::Relaxed)` (mod.rs:231). *)
InstAccounted(self) ==
    /\ lc[self].pc = "I_accounted"
    /\ segs' = [segs EXCEPT ![lc[self].rs].accounted = lc[self].rem]
    /\ lc' = [lc EXCEPT ![self].pc = "I_subLive"]
    /\ UNCHANGED <<qhead, qtail, live, ghost>>

(* `let before = self.live.fetch_sub(segment.cap() - remaining, SeqCst)`, the         *)
(* `debug_assert!(live < max)`, and the successor's size: room, wanted, capacity      *)
(* (mod.rs:232-246).                                                                  *)
InstSubLive(self) ==
    LET me == lc[self]
        cap == segs[me.rs].cap
        after == live - (cap - me.rem)
        room == Max(Sat(MaxCap - after), 1)
        wanted == CASE me.ret2 = "grow" -> Max(Grown(cap), MinCap)
                    [] me.ret2 \in {"shrink_some", "shrink_none"} -> Shrunk(cap, me.rem)
                    [] me.ret2 \in {"restore_none", "restore_adv"} -> MinCap
    IN /\ me.pc = "I_subLive"
       /\ live' = after
       /\ assertOK' = (assertOK /\ after < MaxCap)
       /\ lc' = [lc EXCEPT ![self].pc = "I_addLive", ![self].v = Min(wanted, room), ![self].rem = 0]
       /\ UNCHANGED <<segs, qhead, qtail, sent, delivered, claimHi, fifoOK, emptyRead, retired, pins>>

(* `self.live.fetch_add(capacity, SeqCst)` (mod.rs:247) and                          *)
(* `Box::into_raw(Segment::new(capacity, ..))` (mod.rs:248): a private allocation     *)
(* until `next` publishes it.                                                         *)
InstAddLive(self) ==
    /\ lc[self].pc = "I_addLive"
    /\ live' = live + lc[self].v
    /\ segs' = Append(segs, NewSeg(lc[self].v))
    /\ lc' = [lc EXCEPT ![self].pc = "I_storeNext", ![self].succ = Len(segs) + 1, ![self].v = 0]
    /\ UNCHANGED <<qhead, qtail, ghost>>

(* `segment.next.store(successor, Ordering::SeqCst)` (mod.rs:251). *)
InstStoreNext(self) ==
    /\ lc[self].pc = "I_storeNext"
    /\ segs' = [segs EXCEPT ![lc[self].rs].next = lc[self].succ]
    /\ lc' = [lc EXCEPT ![self].pc = "I_casTail"]
    /\ UNCHANGED <<qhead, qtail, live, ghost>>

(* `self.tail.compare_exchange(current, successor, AcqRel, Relaxed)` (mod.rs:253-255), *)
(* then back to the caller: grow returns true (mod.rs:211) and push_pinned calls        *)
(* successor (mod.rs:192); shrink_if_sparse / restore_if_short return.                  *)
InstCasTail(self) ==
    LET me == lc[self]
    IN /\ me.pc = "I_casTail"
       /\ qtail' = IF qtail = me.rs THEN me.succ ELSE qtail
       /\ IF me.ret2 = "grow"
          THEN /\ lc' = [lc EXCEPT ![self].pc = "N_loadNext", ![self].rs = Null, ![self].succ = Null,
                                   ![self].ret2 = ""]
               /\ UNCHANGED pins
          ELSE IF me.ret2 = "restore_adv"
               THEN /\ lc' = [lc EXCEPT ![self].pc = "A_return", ![self].rs = Null, ![self].succ = Null,
                                        ![self].ret2 = ""]
                    /\ UNCHANGED pins
               ELSE ResizeReturn(self)
       /\ UNCHANGED <<segs, qhead, live, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(***************************************************************************)
(*                              CONSUMERS                                  *)
(***************************************************************************)
(* pop: `let guard = reclaim::pin();` (mod.rs:286) and pop_pinned's                 *)
(* `let mut current = self.head.load(Ordering::Acquire);` (mod.rs:303).             *)
PopStart(self) ==
    /\ lc[self].pc = "C_pop"
    /\ lc' = [lc EXCEPT ![self].pc = "C_segLoadHead", ![self].cur = qhead]
    /\ UNCHANGED <<shared, ghost>>

(* Segment::pop: `let mut head = self.head.load(Ordering::Relaxed);` (segment.rs:210) *)
SegPopLoadHead(self) ==
    /\ lc[self].pc = "C_segLoadHead"
    /\ lc' = [lc EXCEPT ![self].pc = "C_loadStamp", ![self].loc = segs[lc[self].cur].head]
    /\ UNCHANGED <<shared, ghost>>

(* Segment::pop: `let stamp = slot.stamp.load(Ordering::Acquire);` (segment.rs:212-214). *)
(* SeedOrder (the negative check): the consumer loads the tail index instead and takes   *)
(* the slot when it differs from head, whether or not the producer has written it yet.   *)
SegPopLoadStamp(self) ==
    LET me == lc[self]
        s  == segs[me.cur]
    IN /\ me.pc = "C_loadStamp"
       /\ IF SeedOrder
          THEN lc' = [lc EXCEPT ![self].pc = "C_decideSeed", ![self].v = s.tail]
          ELSE lc' = [lc EXCEPT ![self].pc = "C_decide", ![self].v = s.stamp[Idx(s.cap, me.loc)]]
       /\ UNCHANGED <<shared, ghost>>

(* The head CAS that claims position h of segment c (segment.rs:216-221):             *)
(* Ok => the slot is this thread's (ghost: record the claim order); Err(current) =>    *)
(* `head = current` (segment.rs:232-235).                                              *)
ClaimHead(self, c, h) ==
    LET s == segs[c]
        m == s.val[Idx(s.cap, h)]          \* ghost peek: the message claimed
    IN IF s.head = h
       THEN /\ segs' = [segs EXCEPT ![c].head = Advance(s.cap, h)]
            /\ lc' = [lc EXCEPT ![self].pc = "C_read", ![self].v = 0]
            /\ IF m \in Msgs
               THEN /\ claimHi' = [claimHi EXCEPT ![m[1]] = Max(@, m[2])]
                    /\ fifoOK' = (fifoOK /\ claimHi[m[1]] < m[2])
               ELSE UNCHANGED <<claimHi, fifoOK>>
       ELSE /\ lc' = [lc EXCEPT ![self].pc = "C_loadStamp", ![self].loc = s.head, ![self].v = 0]
            /\ UNCHANGED <<segs, claimHi, fifoOK>>

(* pop_pinned, Err(Drained::Empty) (mod.rs:325-334): shrink_if_sparse above the      *)
(* minimum, restore_if_short below it, then return None.                             *)
OnEmpty(self) ==
    LET c == lc[self].cur
        cap == segs[c].cap
    IN IF cap > MinCap
       THEN /\ lc' = [lc EXCEPT ![self].pc = "L_next", ![self].rs = c, ![self].ret2 = "shrink_none",
                                ![self].v = 0, ![self].loc = 0]
            /\ UNCHANGED pins
       ELSE IF cap < MinCap
       THEN /\ lc' = [lc EXCEPT ![self].pc = "L_next", ![self].rs = c, ![self].ret2 = "restore_none",
                                ![self].v = 0, ![self].loc = 0]
            /\ UNCHANGED pins
       ELSE PopNone(self)

(* Segment::pop, the three branches on the stamp (segment.rs:215-254):                 *)
(*  stamp == head + 1: claim (ClaimHead).                                               *)
(*  stamp == head: `fence(SeqCst); let tail = self.tail.load(Ordering::Relaxed);`       *)
(*     (segment.rs:239-240); `tail & !SEALED == head` => Exhausted if sealed, else      *)
(*     Empty (segment.rs:241-247); otherwise a producer is mid-write: reload head.      *)
(*  else: `head = self.head.load(Ordering::Relaxed)` (segment.rs:250-253).              *)
SegPopDecide(self) ==
    LET me == lc[self]
        c  == me.cur
        s  == segs[c]
        h  == me.loc
    IN /\ me.pc = "C_decide"
       /\ CASE me.v = h + 1 ->
                 /\ ClaimHead(self, c, h)
                 /\ UNCHANGED pins
            [] me.v = h ->
                 /\ IF Pos(s.tail) = h
                    THEN IF IsSealed(s.tail)
                         THEN /\ lc' = [lc EXCEPT ![self].pc = "C_exhLoadNext", ![self].v = 0,
                                                  ![self].loc = 0]
                              /\ UNCHANGED pins
                         ELSE OnEmpty(self)
                    ELSE /\ lc' = [lc EXCEPT ![self].pc = "C_reloadHead", ![self].v = 0]
                         /\ UNCHANGED pins
                 /\ UNCHANGED <<segs, claimHi, fifoOK>>
            [] OTHER ->
                 /\ lc' = [lc EXCEPT ![self].pc = "C_loadStamp", ![self].loc = s.head, ![self].v = 0]
                 /\ UNCHANGED <<segs, claimHi, fifoOK, pins>>
       /\ UNCHANGED <<qhead, qtail, live, sent, delivered, assertOK, emptyRead, retired>>

(* SeedOrder only: the seed crate's order. With the tail index already loaded           *)
(* (SegPopLoadStamp), `tail != head` is taken to mean "a message is there": the head     *)
(* CAS claims the slot even if its producer has only reserved it; `tail == head` is      *)
(* Empty/Exhausted as above.                                                             *)
SegPopDecideSeed(self) ==
    LET me == lc[self]
        c  == me.cur
        h  == me.loc
    IN /\ me.pc = "C_decideSeed"
       /\ IF Pos(me.v) # h
          THEN /\ ClaimHead(self, c, h)
               /\ UNCHANGED pins
          ELSE /\ IF IsSealed(me.v)
                  THEN /\ lc' = [lc EXCEPT ![self].pc = "C_exhLoadNext", ![self].v = 0, ![self].loc = 0]
                       /\ UNCHANGED pins
                  ELSE OnEmpty(self)
               /\ UNCHANGED <<segs, claimHi, fifoOK>>
       /\ UNCHANGED <<qhead, qtail, live, sent, delivered, assertOK, emptyRead, retired>>

(* Segment::pop, a producer mid-write: `head = self.head.load(Ordering::Relaxed)`       *)
(* (segment.rs:248-249).                                                                *)
SegPopReloadHead(self) ==
    /\ lc[self].pc = "C_reloadHead"
    /\ lc' = [lc EXCEPT ![self].pc = "C_loadStamp", ![self].loc = segs[lc[self].cur].head]
    /\ UNCHANGED <<shared, ghost>>

(* Segment::pop: `let value = slot.value.with(|cell| cell.read().assume_init())`       *)
(* (segment.rs:227). The read moves the value out: the model clears the cell, so a     *)
(* read of a slot not (yet) written yields NoMsg, which delivers nothing.              *)
SegPopRead(self) ==
    LET me == lc[self]
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
       /\ lc' = [lc EXCEPT ![self].pc = "C_freeSlot"]
       /\ UNCHANGED <<qhead, qtail, live, sent, claimHi, fifoOK, assertOK, retired, pins>>

(* Segment::pop: `slot.stamp.store(head.wrapping_add(self.one_lap) & !SEALED, Release)` *)
(* and `return Ok((value, index))` (segment.rs:228-230).                                *)
SegPopFreeSlot(self) ==
    LET me == lc[self]
        c  == me.cur
        cap == segs[c].cap
    IN /\ me.pc = "C_freeSlot"
       /\ segs' = [segs EXCEPT ![c].stamp[Idx(cap, me.loc)] = me.loc + OneLap(cap)]
       /\ lc' = [lc EXCEPT ![self].pc = "C_okLoadNext"]
       /\ UNCHANGED <<qhead, qtail, live, ghost>>

(* pop_pinned, Ok: `let next = segment.next.load(Ordering::Acquire);` (mod.rs:309);  *)
(* non-null: check whether the segment is finished (mod.rs:310-317); null: the        *)
(* shrink check `index % SHRINK_CHECK_INTERVAL == 0 && cap > min` (mod.rs:318-322).   *)
PopOkLoadNext(self) ==
    LET me == lc[self]
        s  == segs[me.cur]
    IN /\ me.pc = "C_okLoadNext"
       /\ IF s.next # Null
          THEN /\ lc' = [lc EXCEPT ![self].pc = "C_okTailState", ![self].nxt = s.next]
               /\ UNCHANGED pins
          ELSE IF Idx(s.cap, me.loc) % ShrinkCheckInterval = 0 /\ s.cap > MinCap
               THEN /\ lc' = [lc EXCEPT ![self].pc = "L_next", ![self].rs = me.cur,
                                        ![self].ret2 = "shrink_some", ![self].loc = 0]
                    /\ UNCHANGED pins
               ELSE PopSome(self)
       /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* pop_pinned, Ok on a sealed segment: `let (tail, _) = segment.tail_state();`       *)
(* (mod.rs:314; the load is segment.rs:126).                                          *)
PopOkTailState(self) ==
    /\ lc[self].pc = "C_okTailState"
    /\ lc' = [lc EXCEPT ![self].pc = "C_okPopped", ![self].v = segs[lc[self].cur].tail]
    /\ UNCHANGED <<shared, ghost>>

(* pop_pinned: `if segment.popped() == segment.count(tail)` (mod.rs:315; popped()    *)
(* loads head, segment.rs:121) => advance_head (mod.rs:316), else return Some.        *)
PopOkPopped(self) ==
    LET me == lc[self]
        s  == segs[me.cur]
    IN /\ me.pc = "C_okPopped"
       /\ IF Count(s.cap, s.head) = Count(s.cap, me.v)
          THEN /\ lc' = [lc EXCEPT ![self].pc = "A_casTail", ![self].ret1 = "ok", ![self].v = 0,
                                   ![self].loc = 0]
               /\ UNCHANGED pins
          ELSE PopSome(self)
       /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* pop_pinned, Err(Drained::Exhausted): `let next = segment.next.load(SeqCst);`       *)
(* null => return None (mod.rs:335-340); else advance_head (mod.rs:341).              *)
PopExhLoadNext(self) ==
    LET me == lc[self]
        n  == segs[me.cur].next
    IN /\ me.pc = "C_exhLoadNext"
       /\ IF n = Null
          THEN PopNone(self)
          ELSE /\ lc' = [lc EXCEPT ![self].pc = "A_casTail", ![self].nxt = n, ![self].ret1 = "exh"]
               /\ UNCHANGED pins
       /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(***************************************************************************)
(*       advance_head(current = cur, next = nxt) (mod.rs:347-386)          *)
(***************************************************************************)
(* `self.tail.compare_exchange(current, next, AcqRel, Relaxed)` (mod.rs:356-358). *)
AdvCasTail(self) ==
    LET me == lc[self]
    IN /\ me.pc = "A_casTail"
       /\ qtail' = IF qtail = me.cur THEN me.nxt ELSE qtail
       /\ lc' = [lc EXCEPT ![self].pc = "A_casHead"]
       /\ UNCHANGED <<segs, qhead, live, ghost>>

(* `match self.head.compare_exchange(current, next, AcqRel, Acquire)` (mod.rs:359-362); *)
(* Err(now) => `now` is returned (mod.rs:384): the Exhausted branch pops from it         *)
(* (mod.rs:341), the Ok branch returns Some (mod.rs:316,323).                            *)
AdvCasHead(self) ==
    LET me == lc[self]
    IN /\ me.pc = "A_casHead"
       /\ IF qhead = me.cur
          THEN /\ qhead' = me.nxt
               /\ lc' = [lc EXCEPT ![self].pc = "A_loadAccounted"]
               /\ UNCHANGED pins
          ELSE /\ UNCHANGED qhead
               /\ IF me.ret1 = "exh"
                  THEN /\ lc' = [lc EXCEPT ![self] = [Idle("C_segLoadHead") EXCEPT !.cur = qhead]]
                       /\ UNCHANGED pins
                  ELSE PopSome(self)
       /\ UNCHANGED <<segs, qtail, live, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* `segment.accounted.load(Ordering::Relaxed)` (mod.rs:368). *)
AdvLoadAccounted(self) ==
    /\ lc[self].pc = "A_loadAccounted"
    /\ lc' = [lc EXCEPT ![self].pc = "A_subLive", ![self].v = segs[lc[self].cur].accounted]
    /\ UNCHANGED <<shared, ghost>>

(* `self.live.fetch_sub(accounted, SeqCst)` (mod.rs:367-368) and                      *)
(* `reclaim::retire(guard, current)` (mod.rs:372): the segment is freed once every     *)
(* thread pinned now has unpinned (reclaim.rs:16-27).                                *)
AdvSubLive(self) ==
    LET me == lc[self]
    IN /\ me.pc = "A_subLive"
       /\ live' = live - me.v
       /\ retired' = retired \cup {me.cur}
       /\ pins' = pins \cup {<<me.cur, q>> : q \in {q \in Procs : InOp(q)}}
       /\ lc' = [lc EXCEPT ![self].pc = "A_loadTail", ![self].v = 0]
       /\ UNCHANGED <<segs, qhead, qtail, sent, delivered, claimHi, fifoOK, assertOK, emptyRead>>

(* `let last = self.tail.load(Ordering::Acquire);` and                                 *)
(* `if last_segment.cap() < min { self.restore_if_short(last, ..) }` (mod.rs:374-379); *)
(* then `next` is returned (mod.rs:382).                                                *)
AdvLoadTail(self) ==
    /\ lc[self].pc = "A_loadTail"
    /\ IF segs[qtail].cap < MinCap
       THEN /\ lc' = [lc EXCEPT ![self].pc = "L_next", ![self].rs = qtail, ![self].ret2 = "restore_adv"]
            /\ UNCHANGED pins
       ELSE AdvReturn(self)
    /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* The return of advance_head after restore_if_short (mod.rs:382): a local step. *)
AdvAfterRestore(self) ==
    /\ lc[self].pc = "A_return"
    /\ AdvReturn(self)
    /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(***************************************************************************)
(*  shrink_if_sparse (mod.rs:389-402) and restore_if_short (mod.rs:408-425) *)
(*  on segment rs; both start with Segment::len_if_last (segment.rs:132-142) *)
(***************************************************************************)
IsShrink(self) == lc[self].ret2 \in {"shrink_some", "shrink_none"}

(* A resize call that decided not to seal returns to its caller. *)
ResizeGiveUp(self) ==
    IF lc[self].ret2 = "restore_adv"
    THEN /\ lc' = [lc EXCEPT ![self].pc = "A_return", ![self].rs = Null, ![self].ret2 = "",
                             ![self].v = 0, ![self].rem = 0]
         /\ UNCHANGED pins
    ELSE ResizeReturn(self)

(* len_if_last: `if !self.next.load(Ordering::Acquire).is_null() { return None; }`    *)
(* (segment.rs:133-135).                                                              *)
LenNext(self) ==
    /\ lc[self].pc = "L_next"
    /\ IF segs[lc[self].rs].next # Null
       THEN ResizeGiveUp(self)
       ELSE /\ lc' = [lc EXCEPT ![self].pc = "L_tail"]
            /\ UNCHANGED pins
    /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* len_if_last: `let (tail, sealed) = self.tail_state(); if sealed { return None; }`  *)
(* (segment.rs:136-139).                                                              *)
LenTail(self) ==
    LET w == segs[lc[self].rs].tail
    IN /\ lc[self].pc = "L_tail"
       /\ IF IsSealed(w)
          THEN ResizeGiveUp(self)
          ELSE /\ lc' = [lc EXCEPT ![self].pc = "L_popped", ![self].v = w]
               /\ UNCHANGED pins
       /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* len_if_last: `self.count(tail).saturating_sub(self.popped())..min(self.cap)`       *)
(* (segment.rs:140-141; popped() loads head). Then shrink_if_sparse's                 *)
(* `if !should_shrink(cap, len) || shrunk(cap, len) >= cap { return; }`               *)
(* (mod.rs:393-397); restore_if_short goes on to load live.                           *)
LenPopped(self) ==
    LET me == lc[self]
        s  == segs[me.rs]
        len == Min(Sat(Count(s.cap, me.v) - Count(s.cap, s.head)), s.cap)
    IN /\ me.pc = "L_popped"
       /\ IF IsShrink(self)
          THEN IF ~ShouldShrink(s.cap, len) \/ Shrunk(s.cap, len) >= s.cap
               THEN ResizeGiveUp(self)
               ELSE /\ lc' = [lc EXCEPT ![self].pc = "X_seal", ![self].v = 0]
                    /\ UNCHANGED pins
          ELSE /\ lc' = [lc EXCEPT ![self].pc = "R_loadLive", ![self].v = 0, ![self].rem = len]
               /\ UNCHANGED pins
       /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* restore_if_short: `let others = self.live.load(SeqCst).saturating_sub(cap);         *)
(* let room = max.saturating_sub(others + len); if room.min(min) <= cap { return; }`   *)
(* (mod.rs:415-421).                                                                   *)
RestoreLoadLive(self) ==
    LET me == lc[self]
        cap == segs[me.rs].cap
        room == Sat(MaxCap - (Sat(live - cap) + me.rem))
    IN /\ me.pc = "R_loadLive"
       /\ IF Min(room, MinCap) <= cap
          THEN ResizeGiveUp(self)
          ELSE /\ lc' = [lc EXCEPT ![self].pc = "X_seal", ![self].rem = 0]
               /\ UNCHANGED pins
       /\ UNCHANGED <<shared, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(* `if let Some(final_tail) = segment.seal()` (mod.rs:399 / mod.rs:422;               *)
(* `self.tail.fetch_or(SEALED, SeqCst)`, segment.rs:151) => install_successor with     *)
(* Resize::Shrink / Resize::Restore (mod.rs:400 / 423); None => return.                *)
ResizeSeal(self) ==
    LET c == lc[self].rs
        prev == segs[c].tail
    IN /\ lc[self].pc = "X_seal"
       /\ segs' = [segs EXCEPT ![c].tail = IF IsSealed(prev) THEN prev ELSE prev + SEALED]
       /\ IF IsSealed(prev)
          THEN ResizeGiveUp(self)
          ELSE /\ lc' = [lc EXCEPT ![self].pc = "I_popped", ![self].v = prev]
               /\ UNCHANGED pins
       /\ UNCHANGED <<qhead, qtail, live, sent, delivered, claimHi, fifoOK, assertOK, emptyRead, retired>>

(***************************************************************************)
(*                                 SPEC                                    *)
(***************************************************************************)
ProducerStep(self) ==
    \/ PushStart(self) \/ SegPushLoadTail(self) \/ SegPushLoadStamp(self)
    \/ SegPushDecide(self) \/ SegPushReloadTail(self) \/ SegPushWrite(self)
    \/ SegPushPublish(self) \/ GrowIsSealed(self) \/ GrowLoadLive(self) \/ GrowSeal(self)
    \/ SuccLoadNext(self) \/ SuccCasTail(self)

InstallStep(self) ==
    \/ InstPopped(self) \/ InstAccounted(self) \/ InstSubLive(self) \/ InstAddLive(self)
    \/ InstStoreNext(self) \/ InstCasTail(self)

ConsumerStep(self) ==
    \/ PopStart(self) \/ SegPopLoadHead(self) \/ SegPopLoadStamp(self) \/ SegPopDecide(self)
    \/ SegPopDecideSeed(self) \/ SegPopReloadHead(self) \/ SegPopRead(self)
    \/ SegPopFreeSlot(self) \/ PopOkLoadNext(self) \/ PopOkTailState(self) \/ PopOkPopped(self)
    \/ PopExhLoadNext(self) \/ AdvCasTail(self) \/ AdvCasHead(self) \/ AdvLoadAccounted(self)
    \/ AdvSubLive(self) \/ AdvLoadTail(self) \/ AdvAfterRestore(self)
    \/ LenNext(self) \/ LenTail(self) \/ LenPopped(self) \/ RestoreLoadLive(self)
    \/ ResizeSeal(self)

(* One step of a producer / of a consumer; both may be installing a successor. *)
ProducerThread(self) == ProducerStep(self) \/ InstallStep(self)
ConsumerThread(self) == ConsumerStep(self) \/ InstallStep(self)

(* Every thread is done: the run is over (not a deadlock). *)
Finished == Terminated /\ UNCHANGED vars

Next == \/ \E p \in Producers : ProducerThread(p)
        \/ \E c \in Consumers : ConsumerThread(c)
        \/ Finished

(* Weak fairness of every thread: a thread that can always take a step eventually does. *)
Spec == /\ Init /\ [][Next]_vars
        /\ \A p \in Producers : WF_vars(ProducerThread(p))
        /\ \A c \in Consumers : WF_vars(ConsumerThread(c))

(***************************************************************************)
(*                              PROPERTIES                                 *)
(***************************************************************************)
Completed(m) == m[2] <= sent[m[1]]           \* its push returned Ok
Held(s) == Count(segs[s].cap, segs[s].tail) - Count(segs[s].cap, segs[s].head)
(* The slots of segment s between its head and its tail (claimed by a producer, not  *)
(* yet by a consumer) hold m.                                                        *)
Pending(s, m) ==
    LET c == segs[s].cap
        h == Count(c, segs[s].head)
        t == Count(c, segs[s].tail)
    IN \E k \in h..(t - 1) : segs[s].val[k % c] = m
InHand(m) == \E c \in Consumers : lc[c].pc = "C_read"
                                  /\ segs[lc[c].cur].val[Idx(segs[lc[c].cur].cap, lc[c].loc)] = m
RECURSIVE HeldFrom(_)
HeldFrom(s) == IF s > Len(segs) THEN 0 ELSE Held(s) + HeldFrom(s + 1)
Queued == HeldFrom(qhead)                    \* messages claimed by producers, not by consumers
(* What `live` should hold once nothing is in flight: the last segment counts its      *)
(* capacity, every older one still linked what it held when sealed (mod.rs:13-15).     *)
Contribution(s) == IF s = Len(segs) THEN segs[s].cap ELSE segs[s].accounted
RECURSIVE ContributionFrom(_)
ContributionFrom(s) == IF s > Len(segs) THEN 0 ELSE Contribution(s) + ContributionFrom(s + 1)
LiveExpected == ContributionFrom(qhead)

TypeOK ==
    /\ qhead \in 1..Len(segs) /\ qtail \in 1..Len(segs) /\ live \in Int
    /\ \A p \in Procs : lc[p].cur \in 0..Len(segs) /\ lc[p].rs \in 0..Len(segs)

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

(* Bounded capacity (mod.rs:13-15, "the number of queued messages never exceeds it"):   *)
(* the messages queued never exceed max_capacity, nor `live`; `live` never exceeds      *)
(* max_capacity; and the seal before a successor's installation always leaves room      *)
(* under the maximum (the debug_assert of mod.rs:236).                                  *)
QueuedWithinMax == Queued <= MaxCap
QueuedWithinLive == Queued <= live
LiveWithinMax == 0 <= live /\ live <= MaxCap
SealLeavesRoom == assertOK
BoundedCapacity == QueuedWithinMax /\ QueuedWithinLive /\ LiveWithinMax /\ SealLeavesRoom

(* Successors are installed one at a time: segments form one chain in allocation order,  *)
(* and every segment but the newest is sealed.                                           *)
OneChain == \A s \in 1..Len(segs) :
                /\ segs[s].next \in {Null, s + 1}
                /\ (s < Len(segs) => IsSealed(segs[s].tail))

(* reclaim::retire's contract (reclaim.rs:16-20): a retired segment is behind both head *)
(* and tail, so no thread pinning later can reach it, and no thread touches a segment    *)
(* after the collector may have freed it.                                                *)
SafeReclamation ==
    /\ \A s \in retired : s < qhead /\ s < qtail
    /\ \A p \in Procs : InOp(p) => \A x \in {lc[p].cur, lc[p].rs, lc[p].nxt, lc[p].succ} \ {Null} : ~Freed(x)

(* Once every thread is done: every message was popped exactly once, nothing is queued,  *)
(* and `live` equals what the segments still linked account for (at least 1).           *)
Quiescent == Terminated =>
    /\ \A m \in Msgs : delivered[m] = 1
    /\ Queued = 0
    /\ live = LiveExpected
    /\ live >= 1
(* The last loom model's check (loom_tests.rs:223-227): a finished queue holds at least *)
(* min_capacity.                                                                         *)
QuiescentAboveMin == Terminated => live >= MinCap

(* Liveness, under weak fairness of every thread (consumers keep popping until every     *)
(* message has been popped):                                                              *)
(* every message pushed is eventually popped. Both predicates only ever become true, so  *)
(* `Completed(m) ~> delivered[m] > 0` is equivalent to the form below, which TLC checks   *)
(* without a tableau (several times faster).                                              *)
EveryPushPopped == \A m \in Msgs : <>[](Completed(m) => delivered[m] > 0)
EveryPushPoppedLeadsTo == \A m \in Msgs : Completed(m) ~> (delivered[m] > 0)
(* every push eventually succeeds: Full at the maximum only lasts until consumers make room *)
EveryPushCompletes == <>(\A p \in Producers : sent[p] = MsgsPerProducer)
(* and the run ends (with Quiescent: every message pushed and popped exactly once). *)
Terminates == <>Terminated
=============================================================================
