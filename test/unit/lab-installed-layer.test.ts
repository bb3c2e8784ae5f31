import { describe, expect, it } from "vitest";
import { installedLayerKey } from "../../lab/installedLayer";
import { defaultLabProfile, labProfileFor } from "../../lab/image-recipe";
import { allPackages, rolePackages } from "../../profiles/profiles";

const labProfile = labProfileFor(defaultLabProfile);

describe("packages-installed layers", () => {
  it("hold each role's packages as the installer installs them", () => {
    const controller = rolePackages(labProfile, "controller");
    expect(controller).toEqual([
      "mariadb-server",
      "python3-pymysql",
      "rabbitmq-server",
      "memcached",
      "python3-memcache",
      "keystone",
      "glance",
      "neutron-server",
      "placement-api",
      "nova-api",
      "nova-conductor",
      "nova-scheduler",
      "nova-consoleproxy",
      "python3-openstackclient",
    ]);
    expect(controller).toEqual(
      expect.arrayContaining(["mariadb-server", "rabbitmq-server", "keystone", "nova-api", "placement-api", "neutron-server"]),
    );
    expect(rolePackages(labProfile, "compute")).toEqual(labProfile.services.novaCompute.packages);
    // Everything a layer installs is in the image's offline cache.
    expect(allPackages(labProfile)).toEqual(expect.arrayContaining([...controller, ...rolePackages(labProfile, "compute")]));
  });

  it("are named by role and content: the same list in any order gives the same layer, another list another", () => {
    const packages = rolePackages(labProfile, "controller");
    expect(installedLayerKey("controller", packages)).toBe(installedLayerKey("controller", [...packages].reverse()));
    expect(installedLayerKey("controller", packages)).toMatch(/^controller-[0-9a-f]{16}$/);
    expect(installedLayerKey("compute", packages)).not.toBe(installedLayerKey("controller", packages).replace("controller", "compute"));
    expect(installedLayerKey("controller", [...packages, "crudini"])).not.toBe(installedLayerKey("controller", packages));
  });
});
