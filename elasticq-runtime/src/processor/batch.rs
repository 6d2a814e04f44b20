//! What a processor worker holds while a batch is processed.

/// A batch taken from a queue for processing: the messages (or map entries) handed to the
/// processor function, and what must happen once it succeeds. For a persisted queue the
/// batch holds [`Delivery`](crate::Delivery)s, acknowledged only after success, so a crash
/// while processing delivers the messages again after the queue reopens.
///
/// ```
/// use elasticq_runtime::TakenBatch;
/// let batch = vec![1u32, 2, 3];
/// assert_eq!(batch.items(), vec![1, 2, 3]);
/// assert_eq!(TakenBatch::len(&batch), 3);
/// assert!(batch.settle().is_ok());
/// ```
pub trait TakenBatch: Send + 'static {
    /// What the processor function receives, one per message.
    type Item: Clone + Send + 'static;
    /// How many items the batch holds.
    fn len(&self) -> usize;
    /// Whether the batch holds nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A copy of the items, for one attempt of the processor function.
    fn items(&self) -> Vec<Self::Item>;
    /// The batch was handled (processed, dead-lettered or dropped): acknowledge it.
    fn settle(self) -> Result<(), crate::persist::PersistError>;
    /// The items, for a batch that was not handled; a persisted queue's messages stay in its
    /// log and are delivered again after it reopens.
    fn into_items(self) -> Vec<Self::Item>;
    /// Hands the batch back to the front of its queue for a retry, where it keeps its place
    /// before newer messages: a persisted queue's deliveries are
    /// [`nack`](crate::Delivery::nack)ed (`None`). A batch that cannot be handed back is
    /// returned (`Some`), to be retried in hand, which is the default.
    ///
    /// ```
    /// use elasticq_runtime::TakenBatch;
    /// assert_eq!(vec![1u32, 2].hand_back(), Some(vec![1, 2])); // retried in hand
    /// ```
    fn hand_back(self) -> Option<Self>
    where
        Self: Sized,
    {
        Some(self)
    }
}

impl<T: Clone + Send + 'static> TakenBatch for Vec<T> {
    type Item = T;

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn items(&self) -> Vec<T> {
        self.clone()
    }

    fn settle(self) -> Result<(), crate::persist::PersistError> {
        Ok(())
    }

    fn into_items(self) -> Vec<T> {
        self
    }
}

#[cfg(feature = "persist")]
#[cfg_attr(docsrs, doc(cfg(feature = "persist")))]
impl<M: Clone + Send + 'static> TakenBatch for Vec<crate::persist::Delivery<M>> {
    type Item = M;

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn items(&self) -> Vec<M> {
        self.iter()
            .map(|delivery| delivery.message().clone())
            .collect()
    }

    fn settle(self) -> Result<(), crate::persist::PersistError> {
        crate::persist::Delivery::ack_all(self)
            .map(drop)
            .map_err(|failed| failed.error().clone())
    }

    fn into_items(self) -> Vec<M> {
        self.into_iter()
            .map(crate::persist::Delivery::into_unacked)
            .collect()
    }

    fn hand_back(self) -> Option<Self> {
        self.into_iter().for_each(crate::persist::Delivery::nack);
        None
    }
}
