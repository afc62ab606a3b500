// Optional (vnetEnabled): a virtual network the app is integrated with, and private endpoints
// for Storage (blob, queue) and Cosmos DB, each with its private DNS zone linked to the network.
param name string
param location string
param tags object
param storageAccountId string
param cosmosAccountId string

var endpoints = [
  {
    name: 'blob'
    target: storageAccountId
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    name: 'queue'
    target: storageAccountId
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    name: 'Sql'
    target: cosmosAccountId
    zone: 'privatelink.documents.azure.com'
  }
]

resource vnet 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.0.0.0/16'] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: '10.0.1.0/24'
          // Flex Consumption integrates through a subnet delegated to Container Apps environments.
          delegations: [
            {
              name: 'flex-consumption'
              properties: { serviceName: 'Microsoft.App/environments' }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: '10.0.2.0/24'
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, i) in endpoints: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      virtualNetwork: { id: vnet.id }
      registrationEnabled: false
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2025-05-01' = [
  for endpoint in endpoints: {
    name: 'pe-${toLower(endpoint.name)}-${name}'
    location: location
    tags: tags
    properties: {
      subnet: { id: vnet.properties.subnets[1].id }
      privateLinkServiceConnections: [
        {
          name: toLower(endpoint.name)
          properties: {
            privateLinkServiceId: endpoint.target
            groupIds: [endpoint.name]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: toLower(endpoint.name)
          properties: { privateDnsZoneId: zones[i].id }
        }
      ]
    }
  }
]

output appSubnetId string = vnet.properties.subnets[0].id
