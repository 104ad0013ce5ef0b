"""Ready-made steps for the changes an orchestrator (e.g. a Nova driver)
makes most: find the active Virtual I/O Servers and build a FeedTask over
them (:mod:`~pypvm_tx.tasks.partition`), and add, find and remove VIOS
storage mappings inside its Subtasks (:mod:`~pypvm_tx.tasks.scsi_mapper`,
:mod:`~pypvm_tx.tasks.vfc_mapper`).

This package sits above the transaction layer: it imports
:mod:`pypvm_tx.transaction` and the wrappers, and nothing below imports
it.
"""
