package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.DynamicMBean;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** The counter reads Connect's task-error-metrics MBeans of one connector, summed over its tasks. */
class DlqFailureCounterTest {
  /** A stand-in for Connect's metrics MBean with the one attribute the counter reads. */
  private static DynamicMBean bean(double failures) {
    MBeanInfo info = new MBeanInfo("metrics", "task-error-metrics", new MBeanAttributeInfo[] {new MBeanAttributeInfo(
        "deadletterqueue-produce-failures", "double", "failed DLQ writes", true, false, false)}, null, null, null);
    return new DynamicMBean() {
      @Override
      public Object getAttribute(String name) {
        return failures;
      }

      @Override
      public void setAttribute(Attribute a) {}

      @Override
      public AttributeList getAttributes(String[] names) {
        return new AttributeList();
      }

      @Override
      public AttributeList setAttributes(AttributeList a) {
        return a;
      }

      @Override
      public Object invoke(String op, Object[] params, String[] sig) {
        return null;
      }

      @Override
      public MBeanInfo getMBeanInfo() {
        return info;
      }
    };
  }

  @Test
  void sumsTheFailuresOfTheConnectorsTasksOnly() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName a = new ObjectName("kafka.connect:type=task-error-metrics,connector=sink-a,task=0");
    ObjectName b = new ObjectName("kafka.connect:type=task-error-metrics,connector=sink-a,task=1");
    ObjectName other = new ObjectName("kafka.connect:type=task-error-metrics,connector=sink-b,task=0");
    server.registerMBean(bean(2), a);
    server.registerMBean(bean(3), b);
    server.registerMBean(bean(100), other);
    try {
      assertEquals(5, new DlqFailureCounter("sink-a").getAsLong());
      assertEquals(0, new DlqFailureCounter("absent").getAsLong(), "no metric: 0, not an error");
    } finally {
      for (ObjectName n : new ObjectName[] {a, b, other}) server.unregisterMBean(n);
    }
  }
}
