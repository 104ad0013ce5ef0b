"""Translation of user-facing messages (oslo.i18n, domain ``pypvm_tx``)."""

import oslo_i18n

DOMAIN = "pypvm_tx"

_translators = oslo_i18n.TranslatorFactory(domain=DOMAIN)

#: Translate a user-facing message.
_ = _translators.primary
