/**
 * Test fixtures shared through the models test-jar: seeded random subnets ({@link
 * ofa4j.models.testing.RandomSubnets}) and an independent plain-Java forward pass ({@link
 * ofa4j.models.testing.ReferenceForward}).
 */
package ofa4j.models.testing;
