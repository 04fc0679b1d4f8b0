"""seldon-core v1.17.1's ``model-template-app``: the identity model with feedback."""

import logging

logger = logging.getLogger(__name__)


class MyModel:
    def __init__(self):
        logger.info("Initializing model")

    def predict(self, X, features_names):
        return X

    def send_feedback(self, features, feature_names, reward, truth, routing=None):
        return []
